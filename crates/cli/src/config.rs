//! Configuration of `probity serve`: flags, then environment variables, then an optional TOML
//! file, then the defaults, in that order of precedence. clap resolves the first two; a value
//! that clap filled in from its default is replaced by the file's, when the file has one.

use std::path::Path;

use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::Deserialize;

/// The TOML file. Every key is optional; an unknown key is an error, so that a typo is not
/// silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub db: Option<String>,
    pub key_file: Option<String>,
    pub addr: Option<String>,
    pub session_ttl_minutes: Option<u32>,
    pub session_idle_minutes: Option<u32>,
    pub secure_cookies: Option<bool>,
    pub login_per_minute: Option<u32>,
    pub public_per_minute: Option<u32>,
    pub public_url: Option<String>,
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,
    pub metrics_addr: Option<String>,
    pub metrics_token: Option<String>,
    /// The SMTP server the notifications are mailed through, and their sender (邮件通知).
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("无法读取配置文件 {}：{e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("配置文件 {} 有误：{e}", path.display()))
    }
}

/// True when the user gave the argument (flag or environment), false when clap used its default.
pub fn given(matches: &ArgMatches, id: &str) -> bool {
    matches.try_get_raw(id).ok().flatten().is_some()
        && matches!(
            matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
}

/// The value to use: the given one, else the file's, else clap's default.
pub fn pick<T: Clone>(matches: &ArgMatches, id: &str, current: &T, from_file: Option<T>) -> T {
    if given(matches, id) {
        current.clone()
    } else {
        from_file.unwrap_or_else(|| current.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<FileConfig>("sesion_ttl_minutes = 5").is_err());
        let c: FileConfig =
            toml::from_str("session_ttl_minutes = 5\nsecure_cookies = true").unwrap();
        assert_eq!(c.session_ttl_minutes, Some(5));
        assert_eq!(c.secure_cookies, Some(true));
        let c: FileConfig = toml::from_str(r#"trusted_proxies = ["10.0.0.1", "::1"]"#).unwrap();
        assert_eq!(c.trusted_proxies.map(|v| v.len()), Some(2));
        assert!(toml::from_str::<FileConfig>(r#"trusted_proxies = ["proxy.local"]"#).is_err());
        let c: FileConfig =
            toml::from_str("metrics_addr = \"127.0.0.1:9100\"\nmetrics_token = \"scrape-secret\"")
                .unwrap();
        assert_eq!(c.metrics_addr.as_deref(), Some("127.0.0.1:9100"));
        assert_eq!(c.metrics_token.as_deref(), Some("scrape-secret"));
        let c: FileConfig = toml::from_str(
            "smtp_url = \"smtp://xyb:pw@mail.binhai.gov.cn:587?tls=required\"\nmail_from = \"xyb@binhai.gov.cn\"",
        )
        .unwrap();
        assert_eq!(
            c.smtp_url.as_deref(),
            Some("smtp://xyb:pw@mail.binhai.gov.cn:587?tls=required")
        );
        assert_eq!(c.mail_from.as_deref(), Some("xyb@binhai.gov.cn"));
        assert!(toml::from_str::<FileConfig>("smtp = \"smtp://x\"").is_err());
    }
}
