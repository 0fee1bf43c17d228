//! The one boundary where errors become ErrorResponse messages.

use futures::{Sink, SinkExt};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::response::NoticeResponse;
use pgwire::messages::startup::ParameterStatus;

use super::params::Reported;
use crate::error::SluiceError;
use crate::notice::Notice;

/// The ErrorResponse fields for `e`; `text` is the whole query string the client sent,
/// against which positions are counted.
pub fn error_info(e: &SluiceError, text: Option<&str>) -> ErrorInfo {
    let mut info = ErrorInfo::new("ERROR".into(), e.sqlstate().code().into(), e.message());
    info.hint = e.hint().map(str::to_owned);
    info.detail = e.detail().map(str::to_owned);
    info.position = e.pos().zip(text).and_then(|(pos, text)| pos.char_offset(text)).map(|p| p.to_string());
    if matches!(e, SluiceError::Internal(_) | SluiceError::Store(_)) {
        tracing::error!(sqlstate = %e.sqlstate(), error = %e, "statement failed");
    } else {
        tracing::debug!(sqlstate = %e.sqlstate(), error = %e, "statement failed");
    }
    info
}

/// `e` as the error pgwire sends.
pub fn to_pgwire(e: &SluiceError, text: Option<&str>) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(e, text)))
}

/// An error met while sending a result: the client's connection failing (returned as is,
/// the connection is lost) or anything else (reported to the client as an ErrorResponse,
/// after which the connection goes on).
pub fn reportable(e: PgWireError) -> Result<ErrorInfo, PgWireError> {
    match e {
        PgWireError::IoError(_) => Err(e),
        PgWireError::UserError(info) => Ok(*info),
        other => {
            tracing::warn!(error = %other, "could not encode a result");
            Ok(ErrorInfo::from(other))
        }
    }
}

/// Feeds a statement's NOTICEs and changed parameters (ParameterStatus) to the client.
pub async fn send_side_messages<C>(
    client: &mut C,
    notices: &[Notice],
    reported: Vec<Reported>,
) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    C::Error: std::fmt::Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    for notice in notices {
        client.feed(PgWireBackendMessage::NoticeResponse(notice_response(notice))).await?;
    }
    for r in reported {
        client
            .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(r.name.to_owned(), r.value)))
            .await?;
    }
    Ok(())
}

/// A NOTICE or WARNING message.
pub fn notice_response(n: &Notice) -> NoticeResponse {
    let mut info = ErrorInfo::new(n.severity.to_owned(), n.code.to_owned(), n.message.clone());
    info.hint = n.hint.clone();
    info.into()
}
