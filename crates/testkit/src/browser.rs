//! A browser without JavaScript, as the page tests drive the console: it keeps cookies, follows
//! no redirect by itself (so that each step can be checked), posts HTML forms and multipart
//! uploads, and reads the hidden CSRF field of a page.

use reqwest::StatusCode;
use reqwest::blocking::Response;
use reqwest::header::{self, HeaderMap};

pub struct Browser {
    pub base: String,
    pub client: reqwest::blocking::Client,
    /// (name, value) of each cookie held.
    pub cookies: Vec<(String, String)>,
}

/// One answer, read whole.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` of a redirect, or empty.
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        between(&self.body, "name=\"csrf\" value=\"", "\"").unwrap_or_default()
    }

    /// The flash message a redirect sets.
    pub fn flash(&self) -> String {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|c| c.to_str().ok()?.strip_prefix("probity_flash="))
            .filter_map(|c| hex::decode(c.split(';').next()?).ok())
            .map(|b| String::from_utf8(b).unwrap())
            .next()
            .unwrap_or_default()
    }

    /// The message of an error page.
    pub fn error(&self) -> String {
        between(&self.body, "<p class=\"error\">", "</p>").unwrap_or_default()
    }

    /// Every `Set-Cookie` header of the answer.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

/// The text between the first `start` and the `end` after it.
pub fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(s[i..j].to_string())
}

/// A form as `application/x-www-form-urlencoded`.
pub fn urlencode(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    form.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One part of a multipart form.
pub enum Part<'a> {
    Text(&'a str, &'a str),
    /// The file field `file`: its name and its bytes.
    File(&'a str, &'a [u8]),
}

/// The boundary of the multipart bodies `multipart` makes.
pub const BOUNDARY: &str = "----probity-test-boundary";

/// A `multipart/form-data` body of `parts`, with `BOUNDARY`.
pub fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        match part {
            Part::Text(k, v) => body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            ),
            Part::File(name, bytes) => {
                body.extend_from_slice(
                    format!(
                        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl Browser {
    /// A browser of the server at `base`, without cookies.
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            client: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
        }
    }

    /// The same browser (its cookies, so its session) talking to another server: a second node
    /// behind the same load balancer.
    pub fn at(&self, base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            client: self.client.clone(),
            cookies: self.cookies.clone(),
        }
    }

    /// Logs in on the login page as a person does (its CSRF token, name and password); the
    /// answer to the form.
    pub fn log_in(&mut self, name: &str, password: &str) -> Page {
        let csrf = self.get("/login").csrf();
        self.post(
            "/login",
            &[
                ("csrf", csrf.as_str()),
                ("name", name),
                ("password", password),
                ("next", "/console"),
            ],
        )
    }

    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps the cookies `headers` set (and forgets those they expire).
    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !c.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }

    /// Reads an answer whole, keeping its cookies.
    pub fn take(&mut self, res: Response) -> Page {
        let status = res.status();
        let headers = res.headers().clone();
        self.keep_cookies(&headers);
        Page {
            status,
            headers,
            body: res.text().unwrap_or_default(),
        }
    }

    /// A request as this browser sends it: asking for HTML, with its cookies.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::blocking::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::COOKIE, self.cookie_header())
    }

    pub fn get(&mut self, path: &str) -> Page {
        let res = self.request(reqwest::Method::GET, path).send().unwrap();
        self.take(res)
    }

    /// The request of a form post, not yet sent.
    pub fn form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::blocking::RequestBuilder {
        self.request(reqwest::Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(urlencode(form))
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self.form(path, form).send().unwrap();
        self.take(res)
    }

    /// Posts a multipart body; `chunked` sends it without a Content-Length, as a stream.
    pub fn post_multipart(&mut self, path: &str, body: Vec<u8>, chunked: bool) -> Page {
        if chunked {
            return self.post_chunked(path, &body);
        }
        let res = self
            .request(reqwest::Method::POST, path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body)
            .send()
            .unwrap();
        self.take(res)
    }

    /// Posts a form of `fields` and one file.
    pub fn post_file(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Page {
        let mut parts: Vec<Part> = fields.iter().map(|(k, v)| Part::Text(k, v)).collect();
        parts.push(Part::File(file.0, file.1));
        self.post_multipart(path, multipart(&parts), false)
    }

    /// Uploads one file on the upload page, with that page's CSRF token (and `fields` after it).
    pub fn upload(&mut self, fields: &[(&str, &str)], file: (&str, &[u8])) -> Page {
        let csrf = self.get("/console/upload").csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_file("/console/upload", &all, file)
    }

    /// A chunked multipart post over a bare socket. reqwest's blocking client reports an error,
    /// not the answer, when the server answers before the body is all sent, which is what a
    /// refusal while streaming does; a browser reads the answer, and so does this.
    pub fn post_chunked(&mut self, path: &str, body: &[u8]) -> Page {
        use std::io::{Read, Write};
        let host = self.base.trim_start_matches("http://").to_string();
        let mut stream = std::net::TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/html\r\nCookie: {}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            self.cookie_header()
        );
        let mut writer = stream.try_clone().unwrap();
        let mut wire = head.into_bytes();
        for chunk in body.chunks(16 * 1024) {
            wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            wire.extend_from_slice(chunk);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"0\r\n\r\n");
        // The server may stop reading and close: the writer's failure is expected then.
        let sending = std::thread::spawn(move || {
            let _ = writer.write_all(&wire);
        });
        let mut raw = Vec::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
        let _ = stream.shutdown(std::net::Shutdown::Both);
        sending.join().unwrap();
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no answer: {:?}", String::from_utf8_lossy(&raw)));
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let mut headers = HeaderMap::new();
        for line in lines {
            let (k, v) = line.split_once(':').unwrap();
            headers.append(
                header::HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
                v.trim().parse().unwrap(),
            );
        }
        assert!(
            !headers.contains_key(header::TRANSFER_ENCODING),
            "a page has a length"
        );
        self.keep_cookies(&headers);
        Page {
            status: StatusCode::from_u16(status).unwrap(),
            body: String::from_utf8_lossy(&raw[split + 4..]).into_owned(),
            headers,
        }
    }

    /// Follows a 303 and returns the page it leads to.
    pub fn follow(&mut self, p: &Page) -> Page {
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let to = p.location();
        self.get(&to)
    }

    /// The status page of an upload once its import has finished. The import runs in the
    /// server's background and no call tells when it is done: the page says 正在导入 (and
    /// refreshes itself) until then, so this reads it again, as the browser would, for at most
    /// 20 seconds.
    pub fn finished(&mut self, status_url: &str) -> Page {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let page = self.get(status_url);
            if !page.body.contains("正在导入") {
                return page;
            }
            assert!(
                page.body.contains("http-equiv=\"refresh\""),
                "a running import's page refreshes itself: {}",
                page.body
            );
            assert!(
                std::time::Instant::now() < until,
                "the import of {status_url} did not finish"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
