//! The petition lifecycle as a pure state machine.
//!
//! submitted → accepted (受理) | rejected (不予受理)
//! accepted → assigned (交办: a lead department 主办, co-handlers 协办)
//! assigned → in progress → answered (答复) → closed (办结)
//! plus transfer (转办), return (退回) to the dispatcher, extension (延期)
//! requested by the department and decided by a supervisor, and one reopen
//! after an unsatisfied rating.
//!
//! `apply` takes the state and an action and returns the next state or the
//! list of actions that are allowed now; it does no I/O and checks no
//! permissions (the service layer does).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Submitted,
    Accepted,
    Rejected,
    Assigned,
    InProgress,
    Answered,
    Closed,
}

impl State {
    pub const ALL: [State; 7] = [
        Self::Submitted,
        Self::Accepted,
        Self::Rejected,
        Self::Assigned,
        Self::InProgress,
        Self::Answered,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Assigned => "assigned",
            Self::InProgress => "in_progress",
            Self::Answered => "answered",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|s| s.as_str()).collect();
                format!("{s:?} is not a state: use one of {}", names.join(", "))
            })
    }

    /// Open cases still wait for something from the city.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Rejected | Self::Closed | Self::Answered)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What someone does to a case. Department ids are opaque here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Reject,
    Assign,
    Start,
    Transfer,
    Return,
    RequestExtension,
    DecideExtension,
    Answer,
    Close,
    /// An unsatisfied rating reopens the case (once by default).
    Reopen,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Self::Accept,
        Self::Reject,
        Self::Assign,
        Self::Start,
        Self::Transfer,
        Self::Return,
        Self::RequestExtension,
        Self::DecideExtension,
        Self::Answer,
        Self::Close,
        Self::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Reject => "reject",
            Self::Assign => "assign",
            Self::Start => "start",
            Self::Transfer => "transfer",
            Self::Return => "return",
            Self::RequestExtension => "request_extension",
            Self::DecideExtension => "decide_extension",
            Self::Answer => "answer",
            Self::Close => "close",
            Self::Reopen => "reopen",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the machine needs to know besides the state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub extension_pending: bool,
    pub reopened: u32,
    /// How many reopens a case allows (1 by default).
    pub max_reopens: u32,
}

/// The result of a legal action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub to: State,
    pub extension_pending: bool,
    pub reopened: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} a case that is {from}; allowed now: {}", list(.allowed))]
pub struct IllegalTransition {
    pub action: Action,
    pub from: State,
    pub allowed: Vec<Action>,
}

fn list(actions: &[Action]) -> String {
    if actions.is_empty() {
        return "nothing (the case is finished)".into();
    }
    actions
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The next state after `action`, or why not.
pub fn apply(from: State, facts: Facts, action: Action) -> Result<Step, IllegalTransition> {
    next(from, facts, action).ok_or_else(|| IllegalTransition {
        action,
        from,
        allowed: allowed(from, facts),
    })
}

/// Every action that is legal now.
pub fn allowed(from: State, facts: Facts) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| next(from, facts, *a).is_some())
        .collect()
}

/// The transition table.
fn next(from: State, facts: Facts, action: Action) -> Option<Step> {
    use Action::*;
    use State::*;
    let keep = |to| Step {
        to,
        extension_pending: facts.extension_pending,
        reopened: facts.reopened,
    };
    let cleared = |to| Step {
        to,
        extension_pending: false,
        reopened: facts.reopened,
    };
    match (from, action) {
        (Submitted, Accept) => Some(keep(Accepted)),
        (Submitted, Reject) => Some(keep(Rejected)),
        (Accepted, Assign) => Some(keep(Assigned)),
        (Assigned, Start) => Some(keep(InProgress)),
        (Assigned | InProgress, Transfer) => Some(cleared(Assigned)),
        (Assigned | InProgress, Return) => Some(cleared(Accepted)),
        (Assigned | InProgress, RequestExtension) if !facts.extension_pending => Some(Step {
            extension_pending: true,
            ..keep(from)
        }),
        (Assigned | InProgress, DecideExtension) if facts.extension_pending => Some(cleared(from)),
        (Assigned | InProgress, Answer) => Some(cleared(Answered)),
        (Answered, Close) => Some(keep(Closed)),
        (Answered, Reopen) if facts.reopened < facts.max_reopens => Some(Step {
            to: InProgress,
            extension_pending: false,
            reopened: facts.reopened + 1,
        }),
        _ => None,
    }
}

/// A citizen's rating of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// 满意
    Satisfied,
    /// 基本满意
    BasicallySatisfied,
    /// 不满意
    Unsatisfied,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Satisfied => "satisfied",
            Self::BasicallySatisfied => "basically_satisfied",
            Self::Unsatisfied => "unsatisfied",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "satisfied" => Ok(Self::Satisfied),
            "basically_satisfied" => Ok(Self::BasicallySatisfied),
            "unsatisfied" => Ok(Self::Unsatisfied),
            _ => Err(format!(
                "{s:?} is not a rating: use satisfied (满意), basically_satisfied (基本满意) or unsatisfied (不满意)"
            )),
        }
    }

    /// Counts towards the satisfaction rate (满意 + 基本满意).
    pub fn is_satisfied(self) -> bool {
        !matches!(self, Self::Unsatisfied)
    }
}

/// Crockford's base32 without the letters people misread (I, L, O, U).
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A tracking code from 60 random bits: `XXXX-XXXX-XXXX`, easy to read
/// out on the phone, impossible to guess or enumerate.
pub fn tracking_code(random: u64) -> String {
    let mut out = String::with_capacity(14);
    for i in 0..12 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        let index = ((random >> (i * 5)) & 31) as usize;
        out.push(char::from(CODE_ALPHABET[index]));
    }
    out
}

/// Normalise what a person typed as a tracking code: case, spaces, dashes,
/// and the letters people confuse with digits.
pub fn normalize_tracking_code(input: &str) -> Option<String> {
    let chars: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    if chars.len() != 12 || !chars.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!(
        "{}-{}-{}",
        &chars[0..4],
        &chars[4..8],
        &chars[8..12]
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FRESH: Facts = Facts {
        extension_pending: false,
        reopened: 0,
        max_reopens: 1,
    };

    #[test]
    fn the_happy_path() {
        let mut state = State::Submitted;
        let mut facts = FRESH;
        for action in [
            Action::Accept,
            Action::Assign,
            Action::Start,
            Action::Transfer,
            Action::Answer,
            Action::Close,
        ] {
            let step = apply(state, facts, action).unwrap();
            state = step.to;
            facts.extension_pending = step.extension_pending;
        }
        assert_eq!(state, State::Closed);
    }

    /// Every state's legal actions, spelled out.
    #[test]
    fn the_transition_table() {
        use Action::*;
        let table = [
            (State::Submitted, vec![Accept, Reject]),
            (State::Accepted, vec![Assign]),
            (State::Rejected, vec![]),
            (
                State::Assigned,
                vec![Start, Transfer, Return, RequestExtension, Answer],
            ),
            (
                State::InProgress,
                vec![Transfer, Return, RequestExtension, Answer],
            ),
            (State::Answered, vec![Close, Reopen]),
            (State::Closed, vec![]),
        ];
        for (state, expected) in table {
            assert_eq!(allowed(state, FRESH), expected, "{state}");
        }
        let pending = Facts {
            extension_pending: true,
            ..FRESH
        };
        assert_eq!(
            allowed(State::InProgress, pending),
            vec![Transfer, Return, DecideExtension, Answer]
        );
    }

    #[test]
    fn illegal_transitions_list_what_is_allowed() {
        let err = apply(State::Submitted, FRESH, Action::Answer).unwrap_err();
        assert_eq!(err.allowed, vec![Action::Accept, Action::Reject]);
        assert!(
            err.to_string().contains("allowed now: accept, reject"),
            "{err}"
        );
        let err = apply(State::Closed, FRESH, Action::Reopen).unwrap_err();
        assert!(err.allowed.is_empty());
    }

    #[test]
    fn extensions_and_reopen_are_limited() {
        let pending = Facts {
            extension_pending: true,
            ..FRESH
        };
        assert!(apply(State::InProgress, pending, Action::RequestExtension).is_err());
        assert!(apply(State::InProgress, FRESH, Action::DecideExtension).is_err());
        let step = apply(State::Answered, FRESH, Action::Reopen).unwrap();
        assert_eq!((step.to, step.reopened), (State::InProgress, 1));
        let again = Facts {
            reopened: 1,
            ..FRESH
        };
        assert!(apply(State::Answered, again, Action::Reopen).is_err());
    }

    #[test]
    fn tracking_codes_read_back() {
        let code = tracking_code(0x0123_4567_89ab_cdef);
        assert_eq!(code.len(), 14);
        assert_eq!(
            normalize_tracking_code(&code.to_lowercase().replace('-', " ")),
            Some(code.clone())
        );
        assert_eq!(normalize_tracking_code("too-short"), None);
    }

    fn any_action() -> impl Strategy<Value = Action> {
        prop::sample::select(Action::ALL.to_vec())
    }

    proptest! {
        /// Finished cases stay finished, except a reopen of an answered one;
        /// no sequence of actions leaves the known states or reopens twice.
        #[test]
        fn random_walks_stay_legal(actions in prop::collection::vec(any_action(), 0..60)) {
            let mut state = State::Submitted;
            let mut facts = FRESH;
            for action in actions {
                if let Ok(step) = apply(state, facts, action) {
                    prop_assert!(state != State::Rejected && state != State::Closed);
                    state = step.to;
                    facts.extension_pending = step.extension_pending;
                    facts.reopened = step.reopened;
                }
                prop_assert!(facts.reopened <= 1);
            }
        }

        #[test]
        fn codes_are_well_formed(random: u64) {
            let code = tracking_code(random);
            prop_assert_eq!(normalize_tracking_code(&code), Some(code.clone()));
        }
    }
}
