//! The service binary as a separate process: started with arguments, its
//! address read from the start-up log, stopped by SIGKILL (`kill`) or on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_ssc-myositis-cds");

pub struct Service {
    pub child: Child,
    pub addr: String,
}

impl Service {
    /// Starts `serve` with `args` (a `--listen` among them) and waits for it to listen.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Service {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .args(args)
            .env("RUST_LOG", "info")
            .stderr(Stdio::piped())
            .stdout(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            let mut log = vec![];
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent {
                    if let Some(a) = line.split("address=").nth(1) {
                        let _ = tx.send(Ok(a.split_whitespace().next().unwrap_or("").to_string()));
                        sent = true;
                    } else {
                        log.push(line);
                    }
                }
            }
            if !sent {
                let _ = tx.send(Err(log.join("\n")));
            }
        });
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(addr)) => Service { child, addr },
            other => {
                let _ = child.kill();
                panic!("service did not start: {other:?}");
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}
