//! Repairing a history that breaks "exactly one revision is `deployed`":
//! [`repairs`] says, from a release's records alone, which statuses to
//! rewrite. Two or more `deployed` revisions (a deploy of an older berth that
//! failed or was killed between its record writes) keep the newest; none at
//! all while an earlier revision was deployed (a deploy stopped after
//! superseding the current revision and before recording its own) makes that
//! revision `deployed` again. Pure; [`super::Releases::begin`] writes them.

use super::{Record, Status};

/// One status to rewrite, with the sentence that tells the user why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    pub revision: u32,
    pub status: Status,
    pub reason: String,
}

/// The status rewrites that leave `history` (any order, pending records of
/// live deploys excluded by the caller) with exactly one `deployed` revision,
/// when any revision was ever deployed.
pub fn repairs(history: &[Record]) -> Vec<Repair> {
    let mut deployed: Vec<&Record> = history
        .iter()
        .filter(|r| r.status == Status::Deployed)
        .collect();
    deployed.sort_by_key(|r| r.revision);
    if let Some((newest, older)) = deployed.split_last() {
        return older
            .iter()
            .map(|r| Repair {
                revision: r.revision,
                status: Status::Superseded,
                reason: format!(
                    "revision {} was recorded deployed as well as revision {}: it is now superseded",
                    r.revision, newest.revision
                ),
            })
            .collect();
    }
    let was_deployed = history
        .iter()
        .filter(|r| matches!(r.status, Status::Superseded | Status::RolledBack))
        .max_by_key(|r| r.revision);
    match was_deployed {
        Some(r) => vec![Repair {
            revision: r.revision,
            status: Status::Deployed,
            reason: format!(
                "no revision was recorded deployed (a deploy stopped between its record writes): revision {} ({}) is deployed again",
                r.revision, r.status
            ),
        }],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::tests::sample_record;

    fn history(statuses: &[Status]) -> Vec<Record> {
        statuses
            .iter()
            .enumerate()
            .map(|(i, s)| sample_record("hub", i as u32 + 1, *s))
            .collect()
    }

    #[test]
    fn a_healthy_history_needs_nothing() {
        use Status::*;
        assert!(repairs(&history(&[Superseded, Failed, Deployed, Failed])).is_empty());
        assert!(repairs(&history(&[Failed, Failed])).is_empty());
        assert!(repairs(&[]).is_empty());
    }

    #[test]
    fn older_deployed_revisions_become_superseded() {
        use Status::*;
        let r = repairs(&history(&[Deployed, Superseded, Deployed, Deployed]));
        let got: Vec<(u32, Status)> = r.iter().map(|r| (r.revision, r.status)).collect();
        assert_eq!(got, vec![(1, Superseded), (3, Superseded)]);
        assert!(r[0].reason.contains("revision 4"), "{}", r[0].reason);
    }

    #[test]
    fn none_deployed_after_an_interrupted_deploy_restores_the_last_one() {
        use Status::*;
        let r = repairs(&history(&[Superseded, RolledBack, Failed]));
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].revision, r[0].status), (2, Deployed));
    }
}
