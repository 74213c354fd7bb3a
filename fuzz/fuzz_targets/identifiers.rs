//! `Uscc::parse`, `Uscc::parse_overriding_check` and `IdNumber::parse` on arbitrary strings:
//! never panic; strict acceptance implies lenient acceptance; parsed values re-parse to
//! themselves; `IdNumber::masked` never shows the birth date and sequence (chars 4..14), and an
//! ID-number error message never contains the full 18-char number.
#![no_main]

use libfuzzer_sys::fuzz_target;
use probity_domain::ident::{IdNumber, Uscc};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };

    let strict = Uscc::parse(s);
    let lenient = Uscc::parse_overriding_check(s);
    if let Ok(u) = &strict {
        assert!(!u.check_overridden(), "{s:?}");
        assert_eq!(lenient.as_ref(), Ok(u), "{s:?}");
        assert_eq!(Uscc::parse(u.as_str()).as_ref(), Ok(u), "{s:?}");
    }
    if let Ok(u) = &lenient {
        assert_eq!(u.as_str().len(), 18, "{s:?}");
        assert_eq!(u.division().len(), 6, "{s:?}");
        assert_eq!(u.org_code().len(), 9, "{s:?}");
        let _ = (u.registration_authority_name(), u.org_type(), u.to_string());
        assert_eq!(
            Uscc::parse_overriding_check(u.as_str()).as_ref(),
            Ok(u),
            "{s:?}"
        );
        if u.check_overridden() {
            assert!(strict.is_err(), "{s:?}");
        }
    }

    match IdNumber::parse(s) {
        Ok(id) => {
            let number = id.as_str();
            let masked = id.masked();
            let middle: String = number.chars().skip(4).take(10).collect();
            assert_eq!(middle.chars().count(), 10, "{s:?}");
            assert!(!masked.contains(&middle), "{s:?}: masked {masked:?}");
            assert!(!format!("{id:?}").contains(&middle), "{s:?}");
            assert!(!id.to_string().contains(&middle), "{s:?}");
            assert_eq!(IdNumber::parse(number).as_ref(), Ok(&id), "{s:?}");
        }
        Err(e) => {
            // Personal data: an 18-char number typed with a mistake must not be echoed back.
            let t = s.trim();
            if t.len() == 18 && t.bytes().all(|b| b.is_ascii_digit() || b == b'X' || b == b'x') {
                assert!(!e.message.contains(t), "{s:?}: {}", e.message);
            }
        }
    }
});
