//! The record lifecycle driven by arbitrary `(action, role)` byte pairs from `Draft`: never
//! panics, a refused action leaves the state unchanged, and once a final state is reached every
//! action by every role is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;
use probity_domain::record::{Action, RecordState, Role, transition};

const ROLES: [Role; 4] = [Role::CreditOffice, Role::Provider, Role::Unit, Role::System];

fn assert_terminal(state: RecordState) {
    for action in Action::ALL {
        for role in ROLES {
            assert!(
                transition(state, action, role).is_err(),
                "{state:?} is final but {role:?} may {action:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut state = RecordState::Draft;
    for pair in data.chunks_exact(2) {
        let action = Action::ALL[usize::from(pair[0]) % Action::ALL.len()];
        let role = ROLES[usize::from(pair[1]) % ROLES.len()];
        match transition(state, action, role) {
            Ok(next) => {
                assert!(!state.is_final(), "{state:?} --{action:?}/{role:?}--> {next:?}");
                state = next;
                if state.is_final() {
                    // Every later pair also checks it: an `Ok` from a final state trips the
                    // assertion above.
                    assert_terminal(state);
                }
            }
            Err(e) => assert!(!e.message.is_empty()),
        }
    }
});
