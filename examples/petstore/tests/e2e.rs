//! The petstore run as users run it: `:migrate :http` as a child process on a temporary
//! database, driven over HTTP on 127.0.0.1, stopped with SIGTERM, started again on the same
//! file. Every wait is bounded.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const BIN: &str = env!("CARGO_BIN_EXE_petstore");
const LIMIT: Duration = Duration::from_secs(30);

/// A running petstore and the lines of its standard output.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    address: String,
}

impl Server {
    fn start(db: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args([":migrate", ":http"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("PETSTORE_HTTP__HOST", "127.0.0.1")
            .env("PETSTORE_HTTP__PORT", "0")
            .env("PETSTORE_DB__PATH", db)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the petstore starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            seen: Vec::new(),
            address: String::new(),
        };
        let line = server.wait_for("http: listening on http://");
        server.address = line["http: listening on http://".len()..].to_string();
        server
    }

    /// The next line starting with `prefix`, within [`LIMIT`].
    fn wait_for(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(_) => {
                    self.child.kill().ok();
                    panic!(
                        "no line `{prefix}…` within {LIMIT:?}; seen: {:?}",
                        self.seen
                    );
                }
            }
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit; returns it and every line printed.
    fn stop(mut self) -> (ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(kill.success());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > LIMIT {
                self.child.kill().ok();
                panic!("the petstore did not stop within {LIMIT:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // The reader thread ends with the pipe: collect what is left.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status, self.seen)
    }
}

/// One HTTP/1.1 request on a new connection; the status and the body as JSON (`Null` if empty).
async fn http(address: &str, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let exchange = async {
        let mut stream = TcpStream::connect(address).await.unwrap();
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        String::from_utf8(response).unwrap()
    };
    let response = tokio::time::timeout(LIMIT, exchange)
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within {LIMIT:?}"));
    let status = response[9..12].parse().unwrap();
    let (_, body) = response.split_once("\r\n\r\n").unwrap();
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: not JSON: {body}"))
    };
    (status, body)
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("distage-petstore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crud_over_http_then_sigterm_then_the_pets_are_still_there() {
    let dir = scratch();
    let db = dir.join("pets.db");
    let server = Server::start(&db);
    let at = server.address.clone();
    // `:http` listens once `:migrate` (started with it) has made the schema.
    let migrated = "migrate: schema at version 3 (was 0)".to_string();
    assert!(server.seen.contains(&migrated), "{:?}", server.seen);

    // Create, list, get, update, delete.
    let (status, rex) = http(&at, "POST", "/pets", Some(r#"{"name":"Rex","tag":"dog"}"#)).await;
    assert_eq!(status, 201, "{rex}");
    assert_eq!(rex, json!({"id": 1, "name": "Rex", "tag": "dog"}));
    let (status, tom) = http(&at, "POST", "/pets", Some(r#"{"id":7,"name":"Tom"}"#)).await;
    assert_eq!(
        (status, &tom),
        (201, &json!({"id": 7, "name": "Tom", "tag": null}))
    );
    let (status, all) = http(&at, "GET", "/pets", None).await;
    assert_eq!((status, all), (200, json!([rex, tom])));
    assert_eq!(http(&at, "GET", "/pets/1", None).await, (200, rex));
    let renamed = r#"{"name":"Rex II","tag":"dog"}"#;
    let (status, updated) = http(&at, "PUT", "/pets/1", Some(renamed)).await;
    assert_eq!((status, updated["name"].as_str()), (200, Some("Rex II")));
    assert_eq!(http(&at, "GET", "/pets/1", None).await.1, updated);
    assert_eq!(
        http(&at, "DELETE", "/pets/7", None).await,
        (204, Value::Null)
    );

    // Bad input: 4xx with a JSON error, nothing changed.
    let (status, error) = http(&at, "POST", "/pets", Some(r#"{"name": "#)).await;
    assert_eq!(status, 400, "{error}");
    assert!(error["error"].as_str().unwrap().contains("JSON"), "{error}");
    let (status, error) = http(&at, "POST", "/pets", Some(r#"{"name": 3}"#)).await;
    assert_eq!(status, 422, "{error}");
    let (status, error) = http(&at, "GET", "/pets/7", None).await;
    assert_eq!((status, error), (404, json!({"error": "no pet with id 7"})));
    assert_eq!(http(&at, "DELETE", "/pets/7", None).await.0, 404);
    assert_eq!(http(&at, "PUT", "/pets/7", Some(renamed)).await.0, 404);
    assert_eq!(http(&at, "GET", "/pets/seven", None).await.0, 400);
    let (status, error) = http(&at, "POST", "/pets", Some(r#"{"id":1,"name":"Dup"}"#)).await;
    assert_eq!(
        (status, error),
        (409, json!({"error": "a pet with id 1 exists already"}))
    );
    assert_eq!(http(&at, "GET", "/pets/1", None).await.1, updated);

    // 200 creates at once: every one gets its own id.
    let mut creates = tokio::task::JoinSet::new();
    for i in 0..200 {
        let at = at.clone();
        creates.spawn(async move {
            let body = format!(r#"{{"name":"pet {i}"}}"#);
            http(&at, "POST", "/pets", Some(&body)).await
        });
    }
    let mut ids = std::collections::BTreeSet::new();
    while let Some(created) = creates.join_next().await {
        let (status, pet) = created.unwrap();
        assert_eq!(status, 201, "{pet}");
        assert!(ids.insert(pet["id"].as_i64().unwrap()));
    }
    assert_eq!(ids.len(), 200);
    let (_, all) = http(&at, "GET", "/pets", None).await;
    let before = all.as_array().unwrap().len();
    assert_eq!(before, 201);

    // SIGTERM: a clean stop, the server before the database, the WAL folded back in.
    let (status, lines) = tokio::task::spawn_blocking(move || server.stop())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{lines:?}");
    let tail: Vec<&str> = lines.iter().map(String::as_str).rev().take(2).collect();
    let closed = format!("db: closed {}", db.display());
    assert_eq!(tail, [closed.as_str(), "http: stopped"], "{lines:?}");
    let wal = dir.join("pets.db-wal");
    assert!(
        !wal.exists(),
        "{} left behind: not closed cleanly",
        wal.display()
    );

    // Again on the same file: the schema is there, so are the pets.
    let db_again = db.clone();
    let mut server = tokio::task::spawn_blocking(move || Server::start(&db_again))
        .await
        .unwrap();
    assert!(
        server
            .seen
            .iter()
            .any(|l| l == "migrate: schema at version 3 (was 3)")
            || server.wait_for("migrate:") == "migrate: schema at version 3 (was 3)"
    );
    let (status, again) = http(&server.address, "GET", "/pets", None).await;
    assert_eq!((status, again), (200, all));
    let (status, lines) = tokio::task::spawn_blocking(move || server.stop())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "{lines:?}");
    std::fs::remove_dir_all(&dir).ok();
}
