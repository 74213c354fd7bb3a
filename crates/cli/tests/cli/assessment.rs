//! `probity assessment results`: every assessed unit of the roster listed with its group, its
//! total and why it has no grade yet (no score given); JSON lines for scripts; a period or year
//! the platform does not know refused in Chinese.

use super::*;

both!(
    assessment_results_list_every_unit_and_refuse_unknown_periods,
    |env| {
        let uscc = |body: &str| {
            probity_domain::ident::Uscc::from_parts('1', '1', "120116", body)
                .unwrap()
                .as_str()
                .to_string()
        };
        let csv = format!(
            "名称,简称,主体类型,统一社会信用代码,上级单位\n\
         天津市滨海新区人民政府,区政府,区政府,{},\n\
         天津市滨海新区财政局,区财政局,部门,{},区政府\n\
         天津市滨海新区新河街道办事处,新河街道,街镇,{},区政府\n",
            uscc("AB000001"),
            uscc("AB000002"),
            uscc("AB000003")
        );
        let path = env.write("roster.csv", csv.as_bytes());
        let o = env.run(&["subjects", "import", path.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));

        let o = env.run(&["assessment", "results", "--year", "2026"]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.starts_with("2026年年终考评"), "{out}");
        assert!(out.contains("区级部门\t—\t天津市滨海新区财政局"), "{out}");
        assert!(
            out.contains("街镇\t—\t天津市滨海新区新河街道办事处"),
            "{out}"
        );
        assert!(out.contains("暂不定等次\t数据不足"), "{out}");
        assert!(
            !out.contains("人民政府\t"),
            "the district government is not assessed: {out}"
        );
        assert!(stderr(&o).contains("2 个单位"), "{}", stderr(&o));

        let o = env.run(&[
            "assessment",
            "results",
            "--year",
            "2026",
            "--period",
            "mid_year",
            "--json",
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let lines: Vec<serde_json::Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["group"], "区级部门");
        assert!(lines[0]["grade"].is_null());

        let o = env.run(&["assessment", "results", "--year", "2026", "--period", "q3"]);
        assert_ne!(code(&o), 0);
        assert!(stderr(&o).contains("考核期 q3 不存在"), "{}", stderr(&o));
        let o = env.run(&["assessment", "results", "--year", "2031"]);
        assert_ne!(code(&o), 0);
        assert!(
            stderr(&o).contains("尚未设定考核指标体系"),
            "{}",
            stderr(&o)
        );
    }
);
