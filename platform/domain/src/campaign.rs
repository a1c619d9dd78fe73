//! Campaigns (惠民工程) as pure rules: the phases a campaign passes through
//! in order, a suggestion's dispositions, and what each phase allows.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Draft,
    Collecting,
    Answering,
    Selecting,
    Implementing,
    Closed,
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Self::Draft,
        Self::Collecting,
        Self::Answering,
        Self::Selecting,
        Self::Implementing,
        Self::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Collecting => "collecting",
            Self::Answering => "answering",
            Self::Selecting => "selecting",
            Self::Implementing => "implementing",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a phase: use one of {}", names(&Self::ALL)))
    }

    /// The phase after this one.
    pub fn next(self) -> Option<Self> {
        let i = Self::ALL.iter().position(|p| *p == self)?;
        Self::ALL.get(i + 1).copied()
    }

    /// Citizens may submit suggestions.
    pub fn accepts_suggestions(self) -> bool {
        self == Self::Collecting
    }

    /// Working groups may answer, publish and merge.
    pub fn allows_answers(self) -> bool {
        matches!(
            self,
            Self::Collecting | Self::Answering | Self::Selecting | Self::Implementing
        )
    }

    /// Projects may be created.
    pub fn allows_projects(self) -> bool {
        matches!(self, Self::Selecting | Self::Implementing)
    }

    /// Projects' progress and milestones may change.
    pub fn allows_progress(self) -> bool {
        matches!(self, Self::Selecting | Self::Implementing)
    }
}

/// Where a suggestion stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    NotAnswered,
    UnderStudy,
    Adopted,
    PartlyAdopted,
    Merged,
    NotAdopted,
    Withdrawn,
}

impl Disposition {
    pub const ALL: [Disposition; 7] = [
        Self::NotAnswered,
        Self::UnderStudy,
        Self::Adopted,
        Self::PartlyAdopted,
        Self::Merged,
        Self::NotAdopted,
        Self::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAnswered => "not_answered",
            Self::UnderStudy => "under_study",
            Self::Adopted => "adopted",
            Self::PartlyAdopted => "partly_adopted",
            Self::Merged => "merged",
            Self::NotAdopted => "not_adopted",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<_> = Self::ALL.iter().map(|d| d.as_str()).collect();
                format!("{s:?} is not a disposition: use one of {}", all.join(", "))
            })
    }

    /// What an answer may set (`not_answered` is where suggestions start).
    pub fn answerable(self) -> bool {
        self != Self::NotAnswered
    }

    /// The answer must say why.
    pub fn needs_reason(self) -> bool {
        self == Self::NotAdopted
    }

    /// Counts as adopted in the figures.
    pub fn is_adopted(self) -> bool {
        matches!(self, Self::Adopted | Self::PartlyAdopted)
    }
}

fn names(phases: &[Phase]) -> String {
    phases
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A project's status with the progress it sets by default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectStatus {
    pub code: String,
    pub name: String,
    pub progress: i16,
}

/// The statuses a campaign starts with; `delivered` counts as delivered.
pub fn default_statuses(chinese: bool) -> Vec<ProjectStatus> {
    let list: [(&str, &str, &str, i16); 4] = [
        ("planned", "计划中", "Planned", 0),
        ("started", "已开工", "Started", 10),
        ("in_progress", "建设中", "In progress", 50),
        (DELIVERED, "已完成", "Delivered", 100),
    ];
    list.iter()
        .map(|(code, zh, en, progress)| ProjectStatus {
            code: (*code).into(),
            name: if chinese { *zh } else { *en }.into(),
            progress: *progress,
        })
        .collect()
}

/// The status code of a delivered project.
pub const DELIVERED: &str = "delivered";

/// A parent project's progress: its children's, weighted (a child of
/// weight 0 counts as 1), rounded down.
pub fn rolled_up(children: &[(i16, i32)]) -> i16 {
    let total: i64 = children.iter().map(|(_, w)| i64::from((*w).max(1))).sum();
    if total == 0 {
        return 0;
    }
    let sum: i64 = children
        .iter()
        .map(|(p, w)| i64::from(*p) * i64::from((*w).max(1)))
        .sum();
    i16::try_from(sum / total).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_go_forward_one_at_a_time() {
        assert_eq!(Phase::Draft.next(), Some(Phase::Collecting));
        assert_eq!(Phase::Closed.next(), None);
        assert!(Phase::Collecting.accepts_suggestions());
        assert!(!Phase::Answering.accepts_suggestions());
        assert!(Phase::parse("selecting").is_ok_and(|p| p.allows_projects()));
        assert!(Phase::parse("nope").is_err());
    }

    #[test]
    fn dispositions_and_rollup() {
        assert!(Disposition::NotAdopted.needs_reason());
        assert!(!Disposition::NotAnswered.answerable());
        assert!(Disposition::PartlyAdopted.is_adopted());
        assert_eq!(rolled_up(&[(100, 1), (0, 1)]), 50);
        assert_eq!(rolled_up(&[(100, 3), (0, 1)]), 75);
        assert_eq!(rolled_up(&[]), 0);
    }
}
