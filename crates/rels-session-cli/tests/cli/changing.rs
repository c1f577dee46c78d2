//! Commands that change the store: deleting, revoking, reconciling. Each
//! test has its own Redis with the gem fixture.

use redis::Commands;

use crate::support::*;

fn revoked(revoked: &[&str], not_found: &[&str]) -> String {
    let list = |ids: &[&str]| {
        ids.iter()
            .map(|handle| format!("\"{handle}\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "{{\"revoked\":[{}],\"not_found\":[{}]}}\n",
        list(revoked),
        list(not_found)
    )
}

fn total_sessions(server: &rels_session_testkit::RedisServer) -> serde_json::Value {
    run(server, &["stats", "--json"]).expect(0).json()["total_sessions"].clone()
}

#[test]
fn revoking_some_sessions_reports_those_not_found() {
    let server = gem_store();
    let desktop = handle(ALICE_DESKTOP);
    // Bob's session is not Alice's: it is not found for her, and stays.
    let bobs = handle(BOB_APP);

    let result = run(
        &server,
        &[
            "user",
            "revoke",
            ALICE,
            &desktop,
            NO_SUCH_HANDLE,
            &bobs,
            "--yes",
            "--json",
        ],
    )
    .expect(1);

    assert_eq!(
        result.stdout,
        revoked(&[&desktop], &[NO_SUCH_HANDLE, &bobs])
    );
    let line = result.error_line();
    assert!(
        line.starts_with("error: 2 of the 3 sessions named are not"),
        "{line}"
    );
    assert!(!session_exists(&server, ALICE_DESKTOP));
    assert!(session_exists(&server, ALICE_IPHONE));
    assert!(session_exists(&server, BOB_APP));
    assert_eq!(total_sessions(&server), 3);

    let left = run(&server, &["user", "sessions", ALICE, "--json"]).expect(0);
    let handles: Vec<serde_json::Value> = left.json()["sessions"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|row| row["handle"].clone())
        .collect();
    assert_eq!(handles, [handle(ALICE_IPHONE)]);
}

#[test]
fn revoking_every_session_but_one() {
    let server = gem_store();
    let keep = handle(BOB_APP);

    let kept = run(
        &server,
        &["user", "revoke-all", BOB, "--except", &keep, "-y", "--json"],
    );
    assert_eq!(kept.expect(0).stdout, revoked(&[&handle(BOB_WEB)], &[]));
    assert!(session_exists(&server, BOB_APP));
    assert!(!session_exists(&server, BOB_WEB));

    // A session to keep that is not Bob's revokes nothing.
    let mistyped = run(
        &server,
        &[
            "user",
            "revoke-all",
            BOB,
            "--except",
            NO_SUCH_HANDLE,
            "--yes",
            "--json",
        ],
    )
    .expect(1);
    assert_eq!(mistyped.stdout, revoked(&[], &[NO_SUCH_HANDLE]));
    assert!(mistyped.error_line().contains("nothing was revoked"));
    assert!(session_exists(&server, BOB_APP));

    let all = run(&server, &["user", "revoke-all", BOB, "--yes"]).expect(0);
    assert_eq!(
        all.stdout,
        format!("HANDLE{}RESULT\n{keep}  revoked\n", " ".repeat(30))
    );
    assert!(!session_exists(&server, BOB_APP));
    assert_eq!(total_sessions(&server), 2, "Alice's two are left");
    assert!(session_exists(&server, ALICE_DESKTOP));
}

#[test]
fn deleting_sessions_by_public_id_and_by_handle() {
    let server = gem_store();

    let by_id = run(&server, &["sessions", "delete", ANON, "--yes", "--json"]).expect(0);
    assert_eq!(by_id.stdout, revoked(&[&handle(ANON)], &[]));
    assert!(!session_exists(&server, ANON), "both keys are gone");

    // A signed-in session records its public id: both keys go by handle.
    let desktop = handle(ALICE_DESKTOP);
    let by_handle = run(
        &server,
        &["sessions", "delete", &desktop, "--yes", "--json"],
    )
    .expect(0);
    assert_eq!(by_handle.stdout, revoked(&[&desktop], &[]));
    assert!(
        !session_exists(&server, ALICE_DESKTOP),
        "both keys are gone"
    );

    let again = run(
        &server,
        &["sessions", "delete", &desktop, "--yes", "--json"],
    )
    .expect(1);
    assert_eq!(again.stdout, revoked(&[], &[&desktop]));
    assert_eq!(
        again.error_line(),
        format!("error: no session with handle {desktop}")
    );

    let unconfirmed = run(&server, &["sessions", "delete", ALICE_IPHONE]).expect(2);
    assert!(unconfirmed.error_line().contains("without --yes"));
    assert_eq!(unconfirmed.stdout, "");
    assert!(session_exists(&server, ALICE_IPHONE));
}

#[test]
fn reconcile_recounts_the_live_sessions() {
    let server = gem_store();
    // A session that expired on its own: its user index still names it.
    let private = rels_session::PublicId::parse(BOB_WEB)
        .expect("well formed")
        .private_id();
    let _: () = server
        .connection()
        .del(&[
            format!("{NS}:{BOB_WEB}"),
            format!("{NS}:{}", private.expose()),
        ])
        .expect("DEL");
    assert_eq!(total_sessions(&server), 4, "the counter does not know yet");

    let reconciled = run(&server, &["stats", "reconcile", "--json"]).expect(0);
    let document = ordered(&reconciled.stdout);
    assert_eq!(
        document.keys().collect::<Vec<_>>(),
        ["total_sessions", "last_updated_at"]
    );
    assert_eq!(document["total_sessions"].get(), "3");
    let updated: String = serde_json::from_str(document["last_updated_at"].get()).expect("a time");
    assert!(updated.ends_with('Z') && updated.len() == 20, "{updated}");
    assert_eq!(total_sessions(&server), 3);
}

#[test]
fn destructive_commands_ask_on_a_terminal() {
    let server = gem_store();
    let desktop = handle(ALICE_DESKTOP);
    let args = ["user", "revoke", ALICE, desktop.as_str()];

    let (code, screen) = run_on_terminal(&server, &args, "n\n");
    assert_eq!(code, 2, "{screen}");
    assert!(screen.contains(&format!("Revoke 1 session(s) of user {ALICE}? [y/N]")));
    assert!(screen.contains("error: not confirmed; nothing was changed"));
    assert!(session_exists(&server, ALICE_DESKTOP));

    let (code, screen) = run_on_terminal(&server, &args, "y\n");
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains(&format!("{desktop}  revoked")), "{screen}");
    assert!(!session_exists(&server, ALICE_DESKTOP));
}

#[test]
fn json_on_a_terminal_has_no_progress_indicator() {
    let server = gem_store();
    let (code, screen) = run_on_terminal(&server, &["sessions", "count", "--json"], "");
    assert_eq!(code, 0, "{screen}");
    assert_eq!(screen, "{\"count\":5,\"stage\":null}\n");
}
