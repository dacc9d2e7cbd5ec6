//! The on-cluster encoding of one revision record: the [`Record`] as JSON,
//! gzipped. It is stored raw in the record Secret's `data.release` key (the
//! Secret's own base64 is the only base64 layer). Pure functions, no I/O.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::Record;

/// Why a record could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("record data is not valid gzip")]
    Gzip(#[source] std::io::Error),
    #[error("record data is not a valid berth release record (JSON)")]
    Json(#[source] serde_json::Error),
}

/// Encode a record: JSON, then gzip.
pub fn encode(record: &Record) -> Result<Vec<u8>, CodecError> {
    let json = serde_json::to_vec(record).map_err(CodecError::Json)?;
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&json).map_err(CodecError::Gzip)?;
    gz.finish().map_err(CodecError::Gzip)
}

/// Decode bytes written by [`encode`].
pub fn decode(bytes: &[u8]) -> Result<Record, CodecError> {
    let mut json = Vec::new();
    GzDecoder::new(bytes)
        .read_to_end(&mut json)
        .map_err(CodecError::Gzip)?;
    serde_json::from_slice(&json).map_err(CodecError::Json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::tests::sample_record;
    use crate::release::Status;

    #[test]
    fn round_trip_keeps_every_field() {
        let mut record = sample_record("hub", 3, Status::RolledBack);
        record.error = Some("boom".into());
        let bytes = encode(&record).unwrap();
        // gzip magic: the data really is compressed, not plain JSON.
        assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
        assert_eq!(decode(&bytes).unwrap(), record);
    }

    #[test]
    fn status_spelling_is_stable() {
        let record = sample_record("hub", 1, Status::RolledBack);
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["status"], "rolled-back");
        assert_eq!(json["chartVersion"], "1.2.3");
        assert_eq!(
            serde_json::to_value(Status::Superseded).unwrap(),
            "superseded"
        );
    }

    #[test]
    fn garbage_is_a_gzip_error_and_bad_json_a_json_error() {
        assert!(matches!(decode(b"not gzip"), Err(CodecError::Gzip(_))));
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(b"{\"release\": 1}").unwrap();
        let bytes = gz.finish().unwrap();
        assert!(matches!(decode(&bytes), Err(CodecError::Json(_))));
    }
}
