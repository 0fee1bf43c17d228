//! Cron expressions in a time zone: croner evaluates the pattern on wall-clock time,
//! chrono-tz maps it to instants (so a daily 02:30 job in a zone that skips 02:00–03:00
//! once a year runs at 03:00 that day, and one in a repeated hour runs once).

use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::error::{Result, SluiceError};
use crate::sql::placeholders::Interval;

/// The zone of a schedule without TIMEZONE.
pub const DEFAULT_ZONE: &str = "UTC";

/// A parsed cron expression and its zone.
#[derive(Debug, Clone)]
pub struct CronSchedule {
    cron: Cron,
    zone: Tz,
}

fn invalid(message: String, hint: Option<&str>) -> SluiceError {
    SluiceError::InvalidValue { name: "schedule".into(), message, hint: hint.map(str::to_owned) }
}

/// `at` without its fraction of a second.
fn whole_second(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(at.timestamp(), 0).unwrap_or(at)
}

/// Microseconds since the epoch of an instant.
pub fn micros(at: &DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The instant of `micros`.
pub fn instant(micros: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_micros(micros).unwrap_or_default()
}

impl CronSchedule {
    /// Parses a 5-field (minute first) or 6-field (second first) expression in `zone`
    /// (an IANA name). Either wrong is 22023 with the reason.
    pub fn parse(expression: &str, zone: &str) -> Result<CronSchedule> {
        let fields = expression.split_whitespace().count();
        if !(fields == 5 || fields == 6) {
            return Err(invalid(
                format!(
                    "cron expression '{expression}' has {fields} fields; expected 5 (minute hour day month weekday) or 6 (with seconds first)"
                ),
                None,
            ));
        }
        let parser = CronParser::builder().seconds(Seconds::Optional).year(Year::Disallowed).build();
        let cron = parser
            .parse(expression)
            .map_err(|e| invalid(format!("cron expression '{expression}' is not valid: {e}"), None))?;
        let zone = Tz::from_str(zone).map_err(|_| {
            invalid(
                format!("time zone '{zone}' is not an IANA time zone"),
                Some("Use a name such as 'UTC', 'Europe/Berlin' or 'Asia/Shanghai'."),
            )
        })?;
        // A pattern that never matches (Feb 30) is refused now, not at the first tick.
        let schedule = CronSchedule { cron, zone };
        if schedule.next_after(Utc::now()).is_none() {
            return Err(invalid(format!("cron expression '{expression}' never fires"), None));
        }
        Ok(schedule)
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The first fire time strictly after `at` (fire times are whole seconds).
    pub fn next_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = whole_second(at).with_timezone(&self.zone);
        self.cron.find_next_occurrence(&local, false).ok().map(|t| whole_second(t.with_timezone(&Utc)))
    }

    /// The last fire time strictly before `at`.
    pub fn previous_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let floor = whole_second(at);
        let local = floor.with_timezone(&self.zone);
        // `at` past a whole second may fire at that very second
        let inclusive = floor < at;
        self.cron
            .find_previous_occurrence(&local, inclusive)
            .ok()
            .map(|t| whole_second(t.with_timezone(&Utc)))
    }

    /// The interval a run fired at `fire` covers: from the previous fire time to `fire`.
    pub fn interval_ending(&self, fire: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.previous_before(fire).unwrap_or(fire), fire)
    }

    /// The same interval as wall-clock times of the zone (what `${interval_start}` is).
    pub fn wall_clock(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Interval {
        Interval::between(&start.with_timezone(&self.zone), &end.with_timezone(&self.zone))
    }

    /// Fire times in `(after, until]`, oldest first, at most `limit`.
    pub fn fire_times(&self, after: DateTime<Utc>, until: DateTime<Utc>, limit: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut at = after;
        while out.len() < limit {
            match self.next_after(at) {
                Some(next) if next <= until => {
                    out.push(next);
                    at = next;
                }
                _ => break,
            }
        }
        out
    }

    /// A wall-clock time of the zone (`2026-11-01`, `2026-11-01 06:00[:00]`) as an instant.
    pub fn parse_local(&self, text: &str) -> Result<DateTime<Utc>> {
        let text = text.trim();
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
            })
            .map_err(|_| {
                invalid(
                    format!("'{text}' is not a time; expected 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'"),
                    None,
                )
            })?;
        match self.zone.from_local_datetime(&naive) {
            chrono::LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
            chrono::LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
            chrono::LocalResult::None => Err(invalid(
                format!("'{text}' does not exist in time zone {} (a daylight saving gap)", self.zone),
                None,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn five_and_six_fields_parse_and_others_are_refused_with_the_reason() {
        assert!(CronSchedule::parse("0 2 * * *", "UTC").is_ok());
        assert!(CronSchedule::parse("*/2 * * * * *", "Asia/Shanghai").is_ok());
        for (expression, zone, reason) in [
            ("0 2 * *", "UTC", "has 4 fields"),
            ("0 0 2 * * * 2030", "UTC", "has 7 fields"),
            ("61 * * * *", "UTC", "is not valid"),
            ("0 2 * * *", "Mars/Olympus", "not an IANA time zone"),
            ("0 0 30 2 *", "UTC", "never fires"),
        ] {
            let err = CronSchedule::parse(expression, zone).expect_err(expression);
            assert_eq!(err.sqlstate().code(), "22023", "{expression}");
            assert!(err.message().contains(reason), "{expression}: {}", err.message());
        }
    }

    #[test]
    fn fire_times_follow_the_zone_across_daylight_saving() {
        // Europe/Berlin springs forward on 2026-03-29 (02:00 -> 03:00) and falls back on
        // 2026-10-25 (03:00 -> 02:00).
        let daily = CronSchedule::parse("0 9 * * *", "Europe/Berlin").expect("parses");
        let fires = daily.fire_times(utc("2026-03-27T12:00:00Z"), utc("2026-03-31T12:00:00Z"), 10);
        let expected =
            ["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z", "2026-03-31T07:00:00Z"];
        assert_eq!(fires, expected.iter().map(|t| utc(t)).collect::<Vec<_>>());
        // 02:30 does not exist on the 29th: that day it fires once, after the gap.
        let gap = CronSchedule::parse("30 2 * * *", "Europe/Berlin").expect("parses");
        let fires = gap.fire_times(utc("2026-03-28T12:00:00Z"), utc("2026-03-30T12:00:00Z"), 10);
        assert_eq!(fires.len(), 2, "{fires:?}");
        assert!(
            fires[0] > utc("2026-03-29T00:00:00Z") && fires[0] < utc("2026-03-29T02:00:00Z"),
            "{fires:?}"
        );
        // 02:30 happens twice on 2026-10-25: it fires once.
        let fires = gap.fire_times(utc("2026-10-24T12:00:00Z"), utc("2026-10-25T12:00:00Z"), 10);
        assert_eq!(fires.len(), 1, "{fires:?}");
    }

    #[test]
    fn a_run_covers_the_interval_since_the_previous_fire_time_in_wall_clock_time() {
        let daily = CronSchedule::parse("0 2 * * *", "Asia/Shanghai").expect("parses");
        let fire = utc("2026-11-26T18:00:00Z"); // 02:00 on the 27th in Shanghai
        let (start, end) = daily.interval_ending(fire);
        assert_eq!(start, utc("2026-11-25T18:00:00Z"));
        let wall = daily.wall_clock(start, end);
        assert_eq!(wall.start.to_string(), "2026-11-26 02:00:00");
        assert_eq!(wall.end.to_string(), "2026-11-27 02:00:00");
        assert_eq!(daily.parse_local("2026-11-27 02:00").expect("time"), fire);
    }

    #[test]
    fn fire_times_are_whole_seconds_and_never_before_their_instant() {
        let every = CronSchedule::parse("* * * * * *", "UTC").expect("parses");
        let at = utc("2026-11-27T10:00:00.500Z");
        assert_eq!(every.next_after(at), Some(utc("2026-11-27T10:00:01Z")));
        assert_eq!(every.previous_before(at), Some(utc("2026-11-27T10:00:00Z")));
        assert_eq!(every.previous_before(utc("2026-11-27T10:00:00Z")), Some(utc("2026-11-27T09:59:59Z")));
    }
}
