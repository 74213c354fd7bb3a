//! Property tests of the record lifecycle: whatever sequence of actions and roles is tried, the
//! state machine only ever moves along the edges DESIGN.md draws, refuses everything else without
//! moving, and only the credit office can make a record public or take it out of the archive.

use probity_domain::Code;
use probity_domain::record::{Action, RecordState, Role, transition};
use proptest::prelude::*;

const ROLES: [Role; 5] = Role::ALL;

fn step() -> impl Strategy<Value = (Action, Role)> {
    (
        prop::sample::select(Action::ALL.to_vec()),
        prop::sample::select(ROLES.to_vec()),
    )
}

/// The edges of `draft → submitted → active → (objected ↔ active) → repaired | expired | revoked`,
/// plus correction in place and sending back to draft.
fn allowed_edge(from: RecordState, to: RecordState) -> bool {
    use RecordState::*;
    matches!(
        (from, to),
        (Draft, Submitted)
            | (Draft, Draft)
            | (Submitted, Submitted)
            | (Submitted, Draft)
            | (Submitted, Active)
            | (Active, Objected)
            | (Objected, Active)
            | (Active, Repaired)
            | (Active, Expired)
            | (Active, Revoked)
            | (Objected, Revoked)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_walks_stay_on_the_designed_edges(steps in prop::collection::vec(step(), 0..40)) {
        let mut state = RecordState::Draft;
        for (action, role) in steps {
            match transition(state, action, role) {
                Ok(next) => {
                    prop_assert!(allowed_edge(state, next), "{state:?} -{action:?}/{role:?}-> {next:?}");
                    // Activation, revocation and repair belong to the credit office alone.
                    if matches!(next, RecordState::Active | RecordState::Revoked | RecordState::Repaired)
                        && next != state
                        && state != RecordState::Objected
                    {
                        prop_assert_eq!(role, Role::CreditOffice);
                    }
                    // The public reports an error on an active record (纠错), and does nothing else.
                    if role == Role::Public {
                        prop_assert_eq!((state, action, next), (RecordState::Active, Action::Object, RecordState::Objected));
                    }
                    state = next;
                }
                Err(e) => {
                    prop_assert!(matches!(e.code, Code::IllegalTransition | Code::Forbidden));
                    prop_assert!(!e.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn final_states_are_absorbing(action in prop::sample::select(Action::ALL.to_vec()), role in prop::sample::select(ROLES.to_vec())) {
        for s in [RecordState::Repaired, RecordState::Expired, RecordState::Revoked] {
            prop_assert!(transition(s, action, role).is_err());
        }
    }
}

#[test]
fn every_state_is_reachable_from_draft() {
    use std::collections::HashSet;
    let mut seen: HashSet<RecordState> = HashSet::from([RecordState::Draft]);
    let mut frontier = vec![RecordState::Draft];
    while let Some(s) = frontier.pop() {
        for a in Action::ALL {
            for r in ROLES {
                if let Ok(n) = transition(s, a, r)
                    && seen.insert(n)
                {
                    frontier.push(n);
                }
            }
        }
    }
    assert_eq!(seen.len(), RecordState::ALL.len(), "{seen:?}");
}
