//! Built against `minsheng:rules@2.0.0`, which no server implements yet.

wit_bindgen::generate!({ path: "wit", world: "intake-rule" });

struct Rule;

impl exports::minsheng::rules::intake::Guest for Rule {
    fn describe() -> String {
        "from the future".into()
    }
}

export!(Rule);
