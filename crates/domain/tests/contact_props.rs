//! Property tests of an account holder's contact (`account::Contact`): any text is either
//! refused with its code or taken, never a panic; what is taken is taken again unchanged.

use probity_domain::Code;
use probity_domain::account::{Contact, check_email, check_phone, check_real_name};
use proptest::prelude::*;

proptest! {
    #[test]
    fn any_text_is_refused_or_taken_never_a_panic(
        name in "\\PC{0,40}",
        phone in "[0-9+转 -]{0,30}|\\PC{0,30}",
        email in "[a-zA-Z0-9._%+-]{0,12}@[a-zA-Z0-9.-]{0,20}|\\PC{0,30}",
    ) {
        match Contact::check(&name, &phone, &email, true) {
            Ok(c) => {
                // Taken once, taken again as it is: the stored form is a fixed point.
                prop_assert_eq!(check_real_name(&c.real_name, true).unwrap(), c.real_name.clone());
                prop_assert_eq!(check_phone(&c.phone, true).unwrap(), c.phone.clone());
                prop_assert_eq!(check_email(&c.email).unwrap(), c.email.clone());
                // What is kept is one address: nothing a mail header could be split on.
                prop_assert!(c.email.is_empty() || c.email.matches('@').count() == 1);
                prop_assert!(!c.email.chars().any(|ch| ch.is_whitespace() || ch.is_control() || ch == '<' || ch == '>' || ch == ','));
            }
            Err(errs) => {
                prop_assert!(!errs.is_empty());
                for (field, e) in errs {
                    prop_assert!(matches!((field, e.code), ("real_name", Code::RealNameInvalid) | ("phone", Code::PhoneInvalid) | ("email", Code::EmailInvalid)));
                }
            }
        }
    }

    #[test]
    fn every_mobile_number_is_taken(rest in "[3-9][0-9]{9}") {
        let n = format!("1{rest}");
        prop_assert_eq!(check_phone(&n, true).unwrap(), n.clone());
        prop_assert_eq!(check_phone(&format!("+86 {n}"), true).unwrap(), n);
    }

    #[test]
    fn every_tianjin_landline_is_taken(local in "[1-9][0-9]{7}", ext in proptest::option::of("[0-9]{1,6}")) {
        let typed = match &ext { Some(e) => format!("022{local}转{e}"), None => format!("022 {local}") };
        let kept = match &ext { Some(e) => format!("022-{local}-{e}"), None => format!("022-{local}") };
        prop_assert_eq!(check_phone(&typed, true).unwrap(), kept);
    }
}
