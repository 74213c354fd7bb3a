//! An SMTP listener for the tests of the mail: a small server on a loopback port that speaks
//! enough SMTP for a client such as lettre (the 220 greeting, EHLO/HELO, MAIL FROM, RCPT TO,
//! DATA … `.`, RSET, NOOP, QUIT) and keeps every message it accepts, its envelope and its data.
//! It can refuse chosen recipients with a 550, as a real server refuses an unknown mailbox, and
//! can be stopped and started again on the same port, as a server that was down comes back.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;

/// One message the server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The envelope: `MAIL FROM` and every accepted `RCPT TO`, without the angle brackets.
    pub from: String,
    pub to: Vec<String>,
    /// What came after DATA, up to the lone dot, with dot-stuffing undone (CRLF line ends).
    pub data: String,
}

impl Received {
    /// The header block and the body.
    fn split(&self) -> (&str, &str) {
        self.data
            .split_once("\r\n\r\n")
            .unwrap_or((self.data.as_str(), ""))
    }

    /// A header's raw value (folded lines joined), the first of that name, ignoring case.
    pub fn header(&self, name: &str) -> Option<String> {
        let (head, _) = self.split();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.trim().eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_string());
            }
        }
        value
    }

    /// A header's value with its RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`)
    /// decoded.
    pub fn decoded_header(&self, name: &str) -> Option<String> {
        self.header(name).map(|v| decode_words(&v))
    }

    /// The subject, decoded.
    pub fn subject(&self) -> String {
        self.decoded_header("Subject").unwrap_or_default()
    }

    /// The body as text, its transfer encoding (base64, quoted-printable, 7bit or 8bit) undone.
    pub fn text(&self) -> String {
        let (_, body) = self.split();
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => {
                let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("a base64 body")
            }
            "quoted-printable" => quoted_printable(body, false),
            _ => body.as_bytes().to_vec(),
        };
        String::from_utf8(bytes)
            .expect("a UTF-8 body")
            .replace("\r\n", "\n")
    }
}

/// RFC 2047 encoded words in a header value, decoded (UTF-8 only, as lettre writes them).
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, tail) = rest.split_at(start);
        // Whitespace between two encoded words is not part of the text.
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = tail[2..].splitn(3, '?').collect::<Vec<_>>();
        let Some(end) = word.get(2).and_then(|w| w.find("?=")) else {
            out.push_str(tail);
            return out;
        };
        let (charset, enc, text) = (word[0], word[1], &word[2][..end]);
        assert!(
            charset.eq_ignore_ascii_case("utf-8"),
            "unexpected charset {charset}"
        );
        let bytes = if enc.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("a base64 encoded word")
        } else {
            quoted_printable(text, true)
        };
        out.push_str(&String::from_utf8(bytes).expect("UTF-8 in an encoded word"));
        let consumed = 2 + word[0].len() + 1 + word[1].len() + 1 + end + 2;
        rest = &tail[consumed..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

/// Quoted-printable (`=XX`, soft line breaks); in an encoded word `_` is a space.
fn quoted_printable(s: &str, word: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'=' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => i += 3,
            b'=' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("a =XX escape"));
                i += 3;
            }
            b'_' if word => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Recipients answered 550 (lower case).
    refused: Vec<String>,
}

/// A running SMTP listener on 127.0.0.1; stopped when dropped.
pub struct SmtpServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SmtpServer {
    /// A listener on a free port.
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(0)
    }

    /// A listener on `port` (0: a free one), e.g. the port of one stopped before.
    pub fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP listener");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, flag) = (state.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("test-smtp".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            // One connection at a time, as lettre sends them.
                            if let Err(e) = session(stream, &st) {
                                eprintln!("test SMTP session ended: {e}");
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        Err(e) => {
                            eprintln!("test SMTP accept failed: {e}");
                            std::thread::sleep(Duration::from_millis(10));
                        }
                    }
                }
            })
            .expect("SMTP thread");
        SmtpServer {
            addr,
            state,
            stop,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The connection URL lettre takes: plain SMTP, no login.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port())
    }

    /// Answer `RCPT TO:<address>` with 550 (mailbox unavailable) from now on.
    pub fn refuse(&self, address: &str) {
        self.state
            .lock()
            .unwrap()
            .refused
            .push(address.to_ascii_lowercase());
    }

    /// Every message accepted so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// The messages accepted so far, and forgets them.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut self.state.lock().unwrap().received)
    }

    /// Waits (up to `timeout`) until at least `n` messages were accepted; returns them all.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let until = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() >= until {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops listening: connections to the port are refused from now on. Returns the port,
    /// to start again on it.
    pub fn stop(mut self) -> u16 {
        self.shut();
        self.port()
    }

    fn shut(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.shut();
    }
}

/// One SMTP session, until QUIT or the client goes.
fn session(stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    let mut reply = |text: &str| out.write_all(format!("{text}\r\n").as_bytes());
    reply("220 probity-test ESMTP ready")?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end_matches(['\r', '\n']);
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            reply("250-probity-test greets you")?;
            reply("250-8BITMIME")?;
            reply("250-SMTPUTF8")?;
            reply("250 SIZE 10485760")?;
        } else if upper.starts_with("HELO") {
            reply("250 probity-test")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = Some(address(&command[10..]));
            to.clear();
            reply("250 2.1.0 OK")?;
        } else if upper.starts_with("RCPT TO:") {
            let rcpt = address(&command[8..]);
            if from.is_none() {
                reply("503 5.5.1 MAIL first")?;
            } else if state
                .lock()
                .unwrap()
                .refused
                .contains(&rcpt.to_ascii_lowercase())
            {
                reply("550 5.1.1 mailbox unavailable")?;
            } else {
                to.push(rcpt);
                reply("250 2.1.5 OK")?;
            }
        } else if upper == "DATA" {
            if from.is_none() || to.is_empty() {
                reply("503 5.5.1 no valid recipients")?;
                continue;
            }
            reply("354 end data with <CR><LF>.<CR><LF>")?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            state.lock().unwrap().received.push(Received {
                from: from.take().unwrap_or_default(),
                to: std::mem::take(&mut to),
                data,
            });
            reply("250 2.0.0 queued")?;
        } else if upper == "RSET" {
            from = None;
            to.clear();
            reply("250 2.0.0 OK")?;
        } else if upper == "NOOP" {
            reply("250 2.0.0 OK")?;
        } else if upper == "QUIT" {
            reply("221 2.0.0 bye")?;
            return Ok(());
        } else {
            reply("502 5.5.2 command not implemented")?;
        }
    }
}

/// `<a@b.cn> SIZE=123` → `a@b.cn`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(s), Some(e)) if s < e => arg[s + 1..e].to_string(),
        _ => arg
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}
