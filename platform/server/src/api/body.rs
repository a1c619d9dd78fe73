//! A JSON body a client may leave out, for endpoints that gained a body
//! after clients were already calling them without one.

use super::error::{ApiError, ErrorBody, FieldProblem};
use poem::{FromRequest, IntoResponse, Request, RequestBody};
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaMediaType, MetaRequest, Registry};
use poem_openapi::types::ParseFromJSON;
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

/// The body as `T`, or `None` when the request has no body (with or
/// without a `Content-Type`). A body that is there must be JSON of `T`'s
/// shape; when it is not, the `400` names the field at fault.
pub struct OptionalJson<T>(pub Option<T>);

impl<T> OptionalJson<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<'a, T: ParseFromJSON + Send> ApiExtractor<'a> for OptionalJson<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Json<T> as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: <Json<T> as Payload>::CONTENT_TYPE,
                schema: <Json<T> as Payload>::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let bytes = <Vec<u8> as FromRequest>::from_request(request, body).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        match request.content_type() {
            Some(c) if <Json<T> as Payload>::check_content_type(c) => {}
            Some(c) => {
                return Err(poem_openapi::error::ContentTypeError::NotSupported {
                    content_type: c.to_owned(),
                }
                .into());
            }
            None => return Err(poem_openapi::error::ContentTypeError::ExpectContentType.into()),
        }
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| bad_request(None, format!("the body is not JSON: {e}")))?;
        match T::parse_from_json(Some(value.clone())) {
            Ok(parsed) => Ok(Self(Some(parsed))),
            Err(e) => Err(bad_request(culprit::<T>(&value), plain(e.into_message()))),
        }
    }
}

/// The top-level field whose value `T` cannot read: the first one whose
/// removal lets the body parse, or changes what is wrong with it.
fn culprit<T: ParseFromJSON>(body: &serde_json::Value) -> Option<String> {
    let object = body.as_object()?;
    let message =
        |v: serde_json::Value| T::parse_from_json(Some(v)).err().map(|e| e.into_message());
    let before = message(body.clone());
    object.keys().find_map(|key| {
        let mut without = object.clone();
        without.remove(key);
        (message(serde_json::Value::Object(without)) != before).then(|| key.clone())
    })
}

/// poem-openapi's message without its note of the type it was reading.
fn plain(message: String) -> String {
    match message.find(" (occurred while parsing") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

fn bad_request(field: Option<String>, message: String) -> poem::Error {
    let body = ErrorBody {
        error: "bad_request".into(),
        message: match &field {
            Some(field) => format!("{field}: {message}"),
            None => message.clone(),
        },
        errors: field
            .map(|field| vec![FieldProblem { field, message }])
            .unwrap_or_default(),
    };
    poem::Error::from_response(ApiError::BadRequest(Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::{culprit, plain};
    use minsheng_app::model::ReleaseInput;
    use serde_json::json;

    #[test]
    fn the_field_at_fault_is_named() {
        assert_eq!(
            culprit::<ReleaseInput>(&json!({"publish": "yes", "reason": "ok"})).as_deref(),
            Some("publish")
        );
        assert_eq!(
            culprit::<ReleaseInput>(&json!({"publish": false, "reason": {}})).as_deref(),
            Some("reason")
        );
        assert_eq!(
            culprit::<ReleaseInput>(&json!({"publsh": true})).as_deref(),
            Some("publsh")
        );
        assert_eq!(culprit::<ReleaseInput>(&json!([1])), None);
    }

    #[test]
    fn messages_lose_the_type_note() {
        assert_eq!(
            plain("Expected \"boolean\". (occurred while parsing \"ReleaseInput\")".into()),
            "Expected \"boolean\"."
        );
        assert_eq!(plain("as is".into()), "as is");
    }
}
