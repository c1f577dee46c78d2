//! Commands that only read: counting, listing, showing, users and stats.
//! They share one Redis, loaded once, since none of them changes it
//! (beyond the pruning a user listing may do, which finds nothing here).

use rels_session_testkit::{RedisServer, read_fixture};

use crate::support::*;

/// The stored payload of the fixture session with public id `id`.
fn stored_payload(id: &str) -> String {
    let key = format!("{NS}:{id}");
    let dump = read_fixture("gem_dump.json");
    let entry = dump["keys"]
        .as_array()
        .expect("a key list")
        .iter()
        .find(|entry| entry["key"] == key.as_str())
        .expect("the fixture has the session");
    entry["value"].as_str().expect("a string").to_owned()
}

fn alice_desktop_row() -> String {
    format!(
        r#"{{"handle":"{}","stage":"authenticated","ttl":0,"meta":{{"ip":"203.0.113.7","browser":"Chrome","os":"Mac","app_version":null,"device_name":null,"device_type":"desktop","installation_id":null,"course_id":null,"client_platform":"web","public_session_id":"****","session_key_type":"cookie","created_at":null,"updated_at":"2025-01-01T12:00:00Z"}}}}"#,
        handle(ALICE_DESKTOP)
    )
}

#[test]
fn reading_commands_show_the_gem_data() {
    let server = gem_store();
    add_ruby_sessions(&server);

    counting(&server);
    listing(&server);
    listing_as_a_table(&server);
    showing(&server);
    users(&server);
    user_sessions(&server);
    stats(&server);
}

fn counting(server: &RedisServer) {
    let all = run(server, &["sessions", "count", "--json"]).expect(0);
    assert_eq!(all.stdout, "{\"count\":8,\"stage\":null}\n");
    for (stage, count) in [("anonymous", 2), ("authenticated", 3), ("in_course", 3)] {
        let counted = run(server, &["--json", "sessions", "count", "--stage", stage]).expect(0);
        let expected = format!("{{\"count\":{count},\"stage\":\"{stage}\"}}\n");
        assert_eq!(counted.stdout, expected);
    }
    let human = run(server, &["sessions", "count", "--stage", "in_course"]).expect(0);
    assert_eq!(human.stdout, "3 in_course sessions\n");
    assert_eq!(human.stderr, "", "no progress indicator in a pipe");
}

fn listing(server: &RedisServer) {
    let listed = run(server, &["sessions", "list", "--json"]).expect(0);
    let document = ordered(&listed.stdout);
    assert_eq!(document.keys().collect::<Vec<_>>(), ["sessions"]);
    let rows: Vec<String> = items(document["sessions"].get())
        .iter()
        .map(|row| row_text(row))
        .collect();
    assert_eq!(rows.len(), 8);
    assert!(rows.contains(&alice_desktop_row()), "{rows:#?}");
    for anonymous in [ANON, RUBY_ANON] {
        let row = format!(
            r#"{{"handle":"{}","stage":"anonymous","ttl":0,"meta":null}}"#,
            handle(anonymous)
        );
        assert!(rows.contains(&row), "{row} in {rows:#?}");
    }

    let limited = run(
        server,
        &[
            "sessions",
            "list",
            "--stage",
            "in_course",
            "--limit",
            "2",
            "--json",
        ],
    )
    .expect(0);
    let sessions = limited.json()["sessions"].clone();
    let stages: Vec<&str> = sessions
        .as_array()
        .expect("a list")
        .iter()
        .map(|row| row["stage"].as_str().expect("a stage"))
        .collect();
    assert_eq!(stages, ["in_course", "in_course"]);
}

fn listing_as_a_table(server: &RedisServer) {
    let table = run(server, &["sessions", "list"]).expect(0);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(lines.len(), 9, "a header and 8 sessions: {}", table.stdout);
    assert!(lines[0].starts_with("HANDLE  "), "{}", lines[0]);
    // Every column starts where its header does.
    for title in ["STAGE", "TTL", "IP", "PLATFORM", "UPDATED"] {
        let column = lines[0].find(title).expect("a column");
        for line in &lines[1..] {
            let before = &line[..column];
            assert!(before.ends_with("  "), "{title} misaligned in {line:?}");
            assert_ne!(
                line.as_bytes()[column],
                b' ',
                "{title} misaligned in {line:?}"
            );
        }
    }
    let desktop = lines
        .iter()
        .find(|line| line.starts_with(&handle(ALICE_DESKTOP)))
        .expect("Alice's desktop is listed");
    let cells: Vec<&str> = desktop.split_whitespace().collect();
    assert_eq!(&cells[1..3], ["authenticated", "13d"]);
    assert_eq!(
        &cells[4..],
        [
            "203.0.113.7",
            "Chrome",
            "Mac",
            "desktop",
            "web",
            "-",
            "2025-01-01T12:00:00Z"
        ]
    );
}

fn showing(server: &RedisServer) {
    let desktop = handle(ALICE_DESKTOP);
    let shown = run(server, &["sessions", "show", &desktop, "--json"]).expect(0);
    let document = ordered(&shown.stdout);
    assert_eq!(
        document.keys().collect::<Vec<_>>(),
        ["handle", "stage", "ttl", "session"]
    );
    assert_eq!(document["handle"].get(), format!("\"{desktop}\""));
    assert_eq!(document["stage"].get(), "\"authenticated\"");
    let masked = stored_payload(ALICE_DESKTOP).replace(ALICE_DESKTOP, "****");
    assert_eq!(document["session"].get(), masked);

    // By public id, the payload with its big integer, float and non-ASCII
    // text comes back as stored, the Tokyo times included.
    let by_id = run(server, &["--json", "sessions", "show", BOB_WEB]).expect(0);
    let document = ordered(&by_id.stdout);
    assert_eq!(document["handle"].get(), format!("\"{}\"", handle(BOB_WEB)));
    let masked = stored_payload(BOB_WEB).replace(BOB_WEB, "****");
    assert_eq!(document["session"].get(), masked);

    let revealed = run(
        server,
        &["sessions", "show", &desktop, "--reveal", "--json"],
    )
    .expect(0);
    let document = ordered(&revealed.stdout);
    assert_eq!(document["session"].get(), stored_payload(ALICE_DESKTOP));

    let human = run(server, &["sessions", "show", &handle(ANON)]).expect(0);
    assert!(
        human.stdout.contains("stage   anonymous\n"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .ends_with("{\"_csrf_token\":\"CSRF\",\"locale\":\"ja\"}\n")
    );

    let missing = run(server, &["sessions", "show", NO_SUCH_HANDLE, "--json"]).expect(1);
    assert_eq!(missing.stdout, "");
    assert_eq!(
        missing.error_line(),
        format!("error: no session with handle {NO_SUCH_HANDLE}")
    );
}

fn users(server: &RedisServer) {
    let listed = run(server, &["users", "list", "--json"]).expect(0);
    let expected = format!(
        r#"{{"users":[{{"uuid":"{ALICE}","sessions":2}},{{"uuid":"{CAROL}","sessions":2}},{{"uuid":"{BOB}","sessions":2}}]}}"#
    );
    assert_eq!(listed.stdout.trim_end(), expected);

    let table = run(server, &["users", "list"]).expect(0);
    let expected = format!(
        "USER{}SESSIONS\n{ALICE}  2\n{CAROL}  2\n{BOB}  2\n",
        " ".repeat(34)
    );
    assert_eq!(table.stdout, expected);
}

fn user_sessions(server: &RedisServer) {
    let listed = run(server, &["user", "sessions", CAROL, "--json"]).expect(0);
    let document = ordered(&listed.stdout);
    assert_eq!(document.keys().collect::<Vec<_>>(), ["user", "sessions"]);
    assert_eq!(document["user"].get(), format!("\"{CAROL}\""));
    let rows = items(document["sessions"].get());
    let handles: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            serde_json::from_str::<serde_json::Value>(row.get()).expect("JSON")["handle"].clone()
        })
        .collect();
    assert_eq!(
        handles,
        [handle(CAROL_NEW), handle(CAROL_OLD)],
        "newest first"
    );

    let newest: serde_json::Value = serde_json::from_str(rows[0].get()).expect("JSON");
    assert_eq!(newest["stage"], "in_course");
    let meta = ordered(ordered(rows[0].get())["meta"].get());
    assert_eq!(
        meta.keys().collect::<Vec<_>>(),
        [
            "ip",
            "browser",
            "os",
            "app_version",
            "device_name",
            "device_type",
            "installation_id",
            "course_id",
            "client_platform",
            "public_session_id",
            "session_key_type",
            "created_at",
            "updated_at"
        ],
        "the gem's names in the gem's order"
    );
    // The order above is that of the printed text; values are checked here.
    let meta = &newest["meta"];
    assert_eq!(meta["public_session_id"], "****");
    assert_eq!(meta["created_at"], "2025-03-02T09:00:00Z");
    let updated = meta["updated_at"].as_str().expect("written by the gem");
    assert!(updated.len() == 20 && updated.ends_with('Z'), "{updated}");
    let ttl = newest["ttl"].as_u64().expect("a ttl");
    assert!((1_209_000..=1_209_600).contains(&ttl), "{ttl}");

    let alice = run(server, &["user", "sessions", ALICE, "--json"]).expect(0);
    let rows = items(ordered(&alice.stdout)["sessions"].get());
    assert!(rows.iter().any(|row| row_text(row) == alice_desktop_row()));

    let nobody = "99999999-9999-4999-8999-999999999999";
    let empty = run(server, &["user", "sessions", nobody, "--json"]).expect(0);
    assert_eq!(
        empty.stdout,
        format!("{{\"user\":\"{nobody}\",\"sessions\":[]}}\n")
    );
}

fn stats(server: &RedisServer) {
    let totals = run(server, &["stats", "--json"]).expect(0);
    let document = ordered(&totals.stdout);
    assert_eq!(
        document.keys().collect::<Vec<_>>(),
        ["total_sessions", "last_updated_at"]
    );
    assert_eq!(
        document["total_sessions"].get(),
        "6",
        "4 in the fixture, 2 by Ruby"
    );
    let updated: String = serde_json::from_str(document["last_updated_at"].get()).expect("text");
    assert!(updated.len() == 20 && updated.ends_with('Z'), "{updated}");

    let table = run(server, &["stats"]).expect(0);
    assert!(
        table
            .stdout
            .starts_with("STAT             VALUE\ntotal_sessions   6\n")
    );
}

#[test]
fn a_payload_that_is_not_json_is_shown_only_revealed() {
    let server = RedisServer::start();
    let id = "0123456789abcdef0123456789abc004";
    let private = rels_session::PublicId::parse(id)
        .expect("well formed")
        .private_id();
    let _: () = redis::Commands::set(
        &mut server.connection(),
        format!("{NS}:{}", private.expose()),
        "<marshalled ruby>",
    )
    .expect("SET");

    let masked = run(&server, &["sessions", "show", &handle(id), "--json"]).expect(0);
    let expected = format!(
        r#"{{"handle":"{}","stage":null,"ttl":null,"session":null}}"#,
        handle(id)
    );
    assert_eq!(masked.stdout.trim_end(), expected);

    let revealed = run(&server, &["sessions", "show", id, "--json", "--reveal"]).expect(0);
    assert_eq!(revealed.json()["session"], "<marshalled ruby>");
}
