//! Kafka: a Metadata request (API key 3, version 0) to each bootstrap server, written
//! and read by hand (the message is small and stable since Kafka 0.8).

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::connectors::live::{Check, Endpoint, host_ports, tcp};

pub async fn test(endpoint: &Endpoint<'_>) -> Vec<Check> {
    let timeout = endpoint.timeout();
    let mut checks = Vec::new();
    for (host, port) in host_ports(endpoint.text("bootstrap_servers").unwrap_or_default(), 9092) {
        let connected = tcp(&host, port, timeout).await;
        let ok = connected.ok;
        checks.push(connected);
        if !ok {
            continue;
        }
        let started = Instant::now();
        let result = match tokio::time::timeout(timeout, metadata(&host, port)).await {
            Ok(Ok(brokers)) => Ok(format!("{host}:{port} answered; brokers: {}", brokers.join(", "))),
            Ok(Err(e)) => Err(format!("{host}:{port}: {e}")),
            Err(_) => Err(format!("{host}:{port}: no metadata within {} ms", timeout.as_millis())),
        };
        checks.push(Check::timed("metadata", started, result));
        if endpoint.text("security_protocol").is_some_and(|p| p != "PLAINTEXT") {
            checks.push(Check {
                check: "security",
                ok: true,
                latency_ms: 0.0,
                detail: "TLS/SASL listeners are not checked beyond TCP".into(),
            });
        }
    }
    checks
}

/// The brokers (`host:port`) a Metadata v0 response lists.
async fn metadata(host: &str, port: u16) -> Result<Vec<String>, String> {
    let mut stream = tokio::net::TcpStream::connect((host, port)).await.map_err(|e| e.to_string())?;
    let client_id = b"sluice";
    let mut body = Vec::new();
    body.extend_from_slice(&3i16.to_be_bytes()); // api_key: Metadata
    body.extend_from_slice(&0i16.to_be_bytes()); // api_version
    body.extend_from_slice(&1i32.to_be_bytes()); // correlation_id
    body.extend_from_slice(&(client_id.len() as i16).to_be_bytes());
    body.extend_from_slice(client_id);
    body.extend_from_slice(&0i32.to_be_bytes()); // topics: none listed = all
    let mut request = (body.len() as i32).to_be_bytes().to_vec();
    request.extend_from_slice(&body);
    stream.write_all(&request).await.map_err(|e| e.to_string())?;
    let size = stream.read_i32().await.map_err(|e| format!("no response: {e}"))?;
    if !(8..=64 * 1024 * 1024).contains(&size) {
        return Err(format!("unexpected response size {size}: not a Kafka broker?"));
    }
    let mut response = vec![0u8; size as usize];
    stream.read_exact(&mut response).await.map_err(|e| e.to_string())?;
    parse_brokers(&response)
}

fn parse_brokers(response: &[u8]) -> Result<Vec<String>, String> {
    let mut r = Reader { data: response, at: 0 };
    let correlation = r.i32()?;
    if correlation != 1 {
        return Err("response does not match the request: not a Kafka broker?".into());
    }
    let count = r.i32()?;
    let mut brokers = Vec::new();
    for _ in 0..count.max(0) {
        let _node = r.i32()?;
        let host = r.string()?;
        let port = r.i32()?;
        brokers.push(format!("{host}:{port}"));
    }
    Ok(brokers)
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let slice = self.data.get(self.at..self.at + n).ok_or("truncated response")?;
        self.at += n;
        Ok(slice)
    }

    fn i32(&mut self) -> Result<i32, String> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn string(&mut self) -> Result<String, String> {
        let b = self.take(2)?;
        let len = i16::from_be_bytes([b[0], b[1]]);
        let bytes = self.take(len.max(0) as usize)?;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_brokers;

    #[test]
    fn a_metadata_v0_response_lists_its_brokers() {
        let mut response = Vec::new();
        response.extend_from_slice(&1i32.to_be_bytes());
        response.extend_from_slice(&2i32.to_be_bytes());
        for (id, host, port) in [(0i32, "k1", 9092i32), (1, "k2", 9093)] {
            response.extend_from_slice(&id.to_be_bytes());
            response.extend_from_slice(&(host.len() as i16).to_be_bytes());
            response.extend_from_slice(host.as_bytes());
            response.extend_from_slice(&port.to_be_bytes());
        }
        assert_eq!(parse_brokers(&response).unwrap(), ["k1:9092", "k2:9093"]);
        assert!(parse_brokers(&[0, 0, 0, 9]).is_err());
    }
}
