//! Tenant bundles: apply is idempotent, export round-trips, an edited bundle
//! updates in place and deactivates instead of deleting.

use crate::on_both_backends;
use crate::support::{Backend, spawn_app};

fn read_all(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

async fn bundle_round_trip(backend: Backend) {
    let app = spawn_app(backend).await;

    // The demo city was loaded at start; applying it again changes nothing.
    let (ok, out) = app.cli(&["tenant", "apply", "tenants/daqing"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("nothing changed"), "{out}");

    // Export, re-apply the export: nothing changes; export again: same files.
    let first = app.dir.path().join("first");
    let second = app.dir.path().join("second");
    let (ok, out) = app
        .cli(&[
            "tenant",
            "export",
            "daqing",
            "--out",
            first.to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}");
    let (ok, out) = app.cli(&["tenant", "apply", first.to_str().unwrap()]).await;
    assert!(ok, "{out}");
    assert!(out.contains("nothing changed"), "{out}");
    let (ok, out) = app
        .cli(&[
            "tenant",
            "export",
            "daqing",
            "--out",
            second.to_str().unwrap(),
        ])
        .await;
    assert!(ok, "{out}");
    assert_eq!(read_all(&first), read_all(&second));

    // Edit: drop a department, rename another; a dry run saves nothing.
    let path = first.join("departments.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut doc: toml::Table = text.parse().unwrap();
    let list = doc["department"].as_array_mut().unwrap();
    let parents: Vec<String> = list
        .iter()
        .filter_map(|d| d.get("parent").and_then(|p| p.as_str()).map(str::to_owned))
        .collect();
    let leaf = list
        .iter()
        .rposition(|d| !parents.contains(&d["code"].as_str().unwrap().to_owned()))
        .unwrap();
    let dropped = list.remove(leaf)["code"].as_str().unwrap().to_owned();
    let renamed = list
        .iter_mut()
        .find(|d| d["code"].as_str() == Some("rlgs"))
        .unwrap();
    renamed
        .as_table_mut()
        .unwrap()
        .insert("name".into(), "大庆市热力集团".into());
    std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();

    let (ok, out) = app
        .cli(&["tenant", "apply", "--dry-run", first.to_str().unwrap()])
        .await;
    assert!(ok, "{out}");
    assert!(out.contains("1 updated, 1 deactivated"), "{out}");
    let rlgs = app.department_id("daqing", "rlgs").await;
    let (_, d) = app
        .get_json(&format!("/tenants/daqing/departments/{rlgs}"))
        .await;
    assert_eq!(d["name"], "市热力公司", "dry run saved nothing");

    let (ok, out) = app.cli(&["tenant", "apply", first.to_str().unwrap()]).await;
    assert!(ok, "{out}");
    assert!(out.contains("1 updated, 1 deactivated"), "{out}");
    let (_, d) = app
        .get_json(&format!("/tenants/daqing/departments/{rlgs}"))
        .await;
    assert_eq!(d["name"], "大庆市热力集团");
    assert_eq!(d["id"], rlgs.as_str(), "updated in place, same id");
    let (_, all) = app
        .get_json("/tenants/daqing/departments?include_inactive=true")
        .await;
    let gone = all
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == dropped.as_str())
        .unwrap();
    assert_eq!(gone["active"], false, "deactivated, not deleted");

    // A broken bundle is refused with the file and field named, and nothing changes.
    let broken = app.dir.path().join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::copy(first.join("tenant.toml"), broken.join("tenant.toml")).unwrap();
    std::fs::write(
        broken.join("departments.toml"),
        "[[department]]\ncode = \"a\"\nname = \"A\"\nkind = \"other\"\nparent = \"missing\"\n",
    )
    .unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", broken.to_str().unwrap()])
        .await;
    assert!(!ok);
    assert!(out.contains("department[0].parent"), "{out}");
    std::fs::write(
        broken.join("departments.toml"),
        "[[department]]\ncode = \"a\"\nnmae = \"A\"\n",
    )
    .unwrap();
    let (ok, out) = app
        .cli(&["tenant", "apply", broken.to_str().unwrap()])
        .await;
    assert!(!ok);
    assert!(out.contains("unknown field `nmae`"), "{out}");
    let (_, d) = app
        .get_json(&format!("/tenants/daqing/departments/{rlgs}"))
        .await;
    assert_eq!(d["name"], "大庆市热力集团");
}
on_both_backends!(bundle_round_trip);
