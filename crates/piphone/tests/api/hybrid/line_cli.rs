//! `piphone line` with bad arguments: exit code 2 and a sentence saying what is wrong, before any server is asked.

use crate::process;

#[tokio::test]
async fn piphone_line_with_bad_arguments_exits_2_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (&["0", "air"], "\"0\" is not a line number (1-8)"),
        (&["nine", "air"], "\"nine\" is not a line number"),
        (&["2", "explode"], "\"explode\" is not a line button"),
        (&["2"], "line 2: which button?"),
        (&["next", "now"], "`next` takes no action"),
        (&["2", "air", "extra"], "unexpected argument"),
    ];
    for (args, said) in cases {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_piphone"));
        cmd.arg("line")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PIPHONE_DATA_DIR", dir.path())
            .env("PIPHONE_LOG", "warn");
        let (code, out) = process::finish(cmd).await;
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(out.contains(said), "{args:?}: {said:?} in {out}");
    }
}
