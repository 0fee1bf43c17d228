//! The one boundary where errors become ErrorResponse messages.

use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::response::NoticeResponse;

use crate::error::SluiceError;
use crate::handler::Notice;

/// The ErrorResponse fields for `e`; `text` is the whole query string the client sent,
/// against which positions are counted.
pub fn error_info(e: &SluiceError, text: Option<&str>) -> ErrorInfo {
    let mut info = ErrorInfo::new("ERROR".into(), e.sqlstate().code().into(), e.message());
    info.hint = e.hint().map(str::to_owned);
    info.detail = e.detail().map(str::to_owned);
    info.position = e
        .pos()
        .zip(text)
        .and_then(|(pos, text)| pos.char_offset(text))
        .map(|p| p.to_string());
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

/// A NOTICE or WARNING message.
pub fn notice_response(n: &Notice) -> NoticeResponse {
    let mut info = ErrorInfo::new(n.severity.to_owned(), n.code.to_owned(), n.message.clone());
    info.hint = n.hint.clone();
    info.into()
}
