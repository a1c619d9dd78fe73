//! Open311 GeoReport v2: every endpoint in JSON and XML, checked against
//! the specification's field lists, on both databases.

use crate::on_both_backends;
use crate::support::{Backend, TestApp, spawn_app};
use serde_json::{Value, json};

/// The fields the specification lists for each kind of answer.
pub(crate) const SERVICE: &[&str] = &[
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];
pub(crate) const ATTRIBUTE: &[&str] = &[
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
];
pub(crate) const REQUEST: &[&str] = &[
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];
pub(crate) const UPDATE: &[&str] = &[
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
];

pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) text: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        assert!(
            self.content_type.starts_with("application/json"),
            "{} {}",
            self.content_type,
            self.text
        );
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    /// The XML document's root element name and, for each child element,
    /// its children's names and texts.
    pub(crate) fn xml(&self) -> (String, Vec<Vec<(String, String)>>) {
        assert!(
            self.content_type.starts_with("text/xml"),
            "{}",
            self.content_type
        );
        let doc =
            roxmltree::Document::parse(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text));
        let root = doc.root_element();
        let items = root
            .children()
            .filter(roxmltree::Node::is_element)
            .map(|item| {
                item.children()
                    .filter(roxmltree::Node::is_element)
                    .map(|f| {
                        (
                            f.tag_name().name().to_owned(),
                            f.text().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .collect();
        (root.tag_name().name().to_owned(), items)
    }
}

pub(crate) async fn get(app: &TestApp, path: &str) -> Answer {
    get_on(app, path, None).await
}

pub(crate) async fn get_on(app: &TestApp, path: &str, host: Option<&str>) -> Answer {
    let mut request = app.client.get(app.url(&format!("/open311/v2/{path}")));
    if let Some(host) = host {
        request = request.header("host", host);
    }
    answer(request.send().await.unwrap()).await
}

pub(crate) async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> Answer {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        body.append_pair(k, v);
    }
    let resp = app
        .client
        .post(app.url(&format!("/open311/v2/{path}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.finish())
        .send()
        .await
        .unwrap();
    answer(resp).await
}

pub(crate) async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    Answer {
        status,
        content_type,
        text: resp.text().await.unwrap(),
    }
}

/// A page as a browser asks for it: (status, HTML).
pub(crate) async fn html(app: &TestApp, path: &str, host: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url(path)).header("accept", "text/html");
    if let Some(host) = host {
        request = request.header("host", host);
    }
    let resp = request.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

pub(crate) fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

pub(crate) fn sorted(fields: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = fields.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

pub(crate) fn names(item: &[(String, String)]) -> Vec<String> {
    item.iter().map(|(n, _)| n.clone()).collect()
}

/// An error answer in either format: the status and the descriptions.
pub(crate) fn errors(a: &Answer, xml: bool) -> Vec<String> {
    if xml {
        let (root, items) = a.xml();
        assert_eq!(root, "errors");
        items
            .iter()
            .map(|fields| {
                assert_eq!(names(fields), ["code", "description"]);
                assert_eq!(fields[0].1, a.status.to_string());
                fields[1].1.clone()
            })
            .collect()
    } else {
        a.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["code"], a.status);
                e["description"].as_str().unwrap().to_owned()
            })
            .collect()
    }
}

pub(crate) async fn api_key(app: &TestApp, tenant: &str) -> String {
    let (ok, out) = app
        .cli(&["apikey", "create", "--tenant", tenant, "--name", "open311"])
        .await;
    assert!(ok, "{out}");
    out.lines().next().unwrap().trim().to_owned()
}

async fn services_and_definitions(backend: Backend) {
    let app = spawn_app(backend).await;

    let json = get(&app, "services.json?jurisdiction_id=springfield").await;
    assert_eq!(json.status, 200, "{}", json.text);
    let services = json.json();
    let services = services.as_array().unwrap();
    assert!(services.len() >= 5);
    for s in services {
        let mut k = keys(s);
        k.sort();
        assert_eq!(k, sorted(SERVICE));
    }
    let pothole = services
        .iter()
        .find(|s| s["service_code"] == "pothole")
        .unwrap();
    assert_eq!(pothole["metadata"], true);
    assert_eq!(pothole["type"], "realtime");
    assert_eq!(pothole["group"], "Streets and Sidewalks");

    let xml = get(&app, "services.xml?jurisdiction_id=springfield").await;
    let (root, items) = xml.xml();
    assert_eq!(root, "services");
    assert_eq!(items.len(), services.len());
    for item in &items {
        assert_eq!(names(item), SERVICE);
    }

    // By host name, no jurisdiction_id needed; Chinese round-trips.
    let by_host = get_on(&app, "services.json", Some("daqing.localhost")).await;
    let daqing = by_host.json();
    assert!(
        daqing
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["service_name"] == "暖气不热"),
        "{daqing}"
    );
    let xml = get(&app, "services.xml?jurisdiction_id=daqing.localhost").await;
    assert!(xml.text.contains("<service_name>暖气不热</service_name>"));

    // The definition, with a multi-value list.
    let def = get(&app, "services/graffiti.json?jurisdiction_id=springfield").await;
    assert_eq!(def.status, 200, "{}", def.text);
    let def = def.json();
    assert_eq!(def["service_code"], "graffiti");
    let attributes = def["attributes"].as_array().unwrap();
    for a in attributes {
        let mut k = keys(a);
        k.sort();
        assert_eq!(k, sorted(ATTRIBUTE));
        assert_eq!(a["variable"], true);
    }
    let surface = attributes.iter().find(|a| a["code"] == "surface").unwrap();
    assert_eq!(surface["datatype"], "multivaluelist");
    assert_eq!(surface["required"], true);
    assert_eq!(surface["order"], 1);
    assert_eq!(
        surface["values"][0],
        json!({"key": "building", "name": "Building wall"})
    );
    let xml = get(&app, "services/graffiti.xml?jurisdiction_id=springfield").await;
    let doc = roxmltree::Document::parse(&xml.text).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "service_definition");
    let values: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("value"))
        .filter_map(|n| n.children().find(|c| c.has_tag_name("key")))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        values.contains(&"building") && values.contains(&"fence"),
        "{values:?}"
    );

    // Errors, in the format asked for.
    for (path, status) in [
        ("services/nope.json?jurisdiction_id=springfield", 404),
        ("services/nope.xml?jurisdiction_id=springfield", 404),
        ("services.json?jurisdiction_id=atlantis", 404),
        ("services.xml?jurisdiction_id=atlantis", 404),
        ("services.json", 400),
        ("services.xml", 400),
        (
            "requests.json?jurisdiction_id=springfield&start_date=yesterday",
            400,
        ),
        ("nothing.json?jurisdiction_id=springfield", 404),
    ] {
        let a = get(&app, path).await;
        assert_eq!(a.status, status, "{path}: {}", a.text);
        let described = errors(&a, path.contains(".xml"));
        assert!(!described.is_empty() && !described[0].is_empty(), "{path}");
    }
    let a = get(&app, "services.json").await;
    assert!(errors(&a, false)[0].contains("jurisdiction_id"));
    let a = get(&app, "services.csv?jurisdiction_id=springfield").await;
    assert_eq!(a.status, 404);

    let discovery = get(&app, "discovery.json").await.json();
    assert_eq!(
        discovery["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    let (root, _) = get(&app, "discovery.xml").await.xml();
    assert_eq!(root, "discovery");
}
on_both_backends!(services_and_definitions);
