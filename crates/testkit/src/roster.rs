//! The small roster of Binhai New Area the web tests start from: the district government, the
//! court and the finance bureau (both providers), and two townships.

use probity_domain::ident::Uscc;
use probity_domain::subject::RosterRow;
use probity_store::Store;

pub const GOV: &str = "天津市滨海新区人民政府";
pub const COURT: &str = "天津市滨海新区人民法院";
pub const FINANCE: &str = "天津市滨海新区财政局";
/// 新河街道, the township the unit accounts act for.
pub const TOWN: &str = "天津市滨海新区新河街道办事处";
/// 大沽街道, a township no account acts for.
pub const OTHER_TOWN: &str = "天津市滨海新区大沽街道办事处";

/// A valid USCC of Binhai New Area with the given 8 organisation-code body chars.
pub fn uscc(body8: &str) -> String {
    Uscc::from_parts('1', '1', "120116", body8)
        .unwrap()
        .as_str()
        .to_string()
}

/// The roster's rows: (name, short name, kind, USCC body, parent).
const UNITS: [(&str, &str, &str, &str, &str); 5] = [
    (GOV, "区政府", "区政府", "WB000001", ""),
    (COURT, "区法院", "部门", "WB000002", "区政府"),
    (FINANCE, "区财政局", "部门", "WB000003", "区政府"),
    (TOWN, "新河街道", "街镇", "WB000004", "区政府"),
    (OTHER_TOWN, "大沽街道", "街镇", "WB000005", "区政府"),
];

/// Imports the roster into `store`, every row accepted.
pub fn binhai(store: &Store) {
    let subjects = UNITS
        .iter()
        .enumerate()
        .map(|(i, (name, short, kind, body, parent))| {
            let r = RosterRow {
                name: name.to_string(),
                short_name: short.to_string(),
                kind: kind.to_string(),
                uscc: uscc(body),
                parent: parent.to_string(),
                ..Default::default()
            };
            (i + 2, r.validate(false).unwrap())
        })
        .collect();
    let report = store.import_roster(subjects, "test").unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}
