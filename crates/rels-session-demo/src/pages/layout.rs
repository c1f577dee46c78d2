//! The page shell every page shares: the header with who is signed in,
//! the navigation, and a small stylesheet inlined in the page (the demo
//! serves no other assets and loads nothing from elsewhere).

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::visitor::Visitor;

/// The header's view of the visitor.
#[derive(Debug, Default)]
pub(crate) struct Nav {
    /// Who is signed in, for the header.
    user: Option<String>,
    /// The CSRF token for the sign-out form; without it, no form.
    csrf: Option<String>,
}

impl Nav {
    /// A header that knows nobody: for error pages.
    pub(crate) fn plain() -> Self {
        Self::default()
    }

    /// A header for `visitor`, with a sign-out button when signed in and
    /// the page has a CSRF token for it.
    pub(crate) fn of(visitor: &Visitor, csrf: Option<&str>) -> Self {
        Self {
            user: visitor.label(),
            csrf: csrf.map(ToOwned::to_owned),
        }
    }
}

/// A whole page: `title` in the tab and `body` under the header.
pub(crate) fn page(title: &str, nav: &Nav, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · rels-session demo" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (header(nav))
                main { (body) }
                footer {
                    "Sessions by rels-session, shared with Rails apps that run the "
                    code { "rels_session" } " gem."
                }
            }
        }
    }
}

fn header(nav: &Nav) -> Markup {
    html! {
        header {
            a.brand href="/" { "rels-session demo" }
            nav {
                a href="/" { "Home" }
                a href="/devices" { "Devices" }
                @match (&nav.user, &nav.csrf) {
                    (Some(user), Some(csrf)) => {
                        span.who { "Signed in as " strong { (user) } }
                        form method="post" action="/logout" {
                            (csrf_field(csrf))
                            button.link type="submit" { "Sign out" }
                        }
                    }
                    (Some(user), None) => { span.who { "Signed in as " strong { (user) } } }
                    (None, _) => { a.button href="/login" { "Sign in" } }
                }
            }
        }
    }
}

/// The hidden field every form carries.
pub(crate) fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(token); }
}

/// A stage as a small coloured label.
pub(crate) fn stage_badge(stage: &str) -> Markup {
    html! { span class={ "badge stage-" (stage) } { (stage) } }
}

const STYLE: &str = r#"
:root {
  --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa;
  --card: #ffffff; --accent: #2563eb; --accent-ink: #ffffff; --danger: #b42318;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); line-height: 1.5;
}
* { box-sizing: border-box; }
body { margin: 0; }
header {
  display: flex; align-items: center; justify-content: space-between;
  flex-wrap: wrap; gap: .5rem 1.5rem; padding: .75rem 1.5rem;
  background: var(--card); border-bottom: 1px solid var(--line);
}
header nav { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; }
header form { margin: 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.brand { font-weight: 700; color: var(--ink); }
.who { color: var(--muted); }
main { max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; }
footer { max-width: 60rem; margin: 3rem auto 2rem; padding: 0 1.5rem; color: var(--muted); font-size: .875rem; }
h1 { font-size: 1.6rem; margin: 0 0 1rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .75rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: 1.25rem 1.5rem; }
.note { color: var(--muted); }
.error { color: var(--danger); font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1.25rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; word-break: break-all; }
pre { background: #0f172a; color: #e2e8f0; padding: 1rem; border-radius: .5rem; font-size: .85rem; white-space: pre-wrap; overflow-wrap: anywhere; }
label { display: block; font-weight: 600; margin-bottom: .35rem; }
input[type=text] { width: 100%; max-width: 24rem; padding: .5rem .65rem; font-size: 1rem; border: 1px solid var(--line); border-radius: .375rem; }
button, .button {
  display: inline-block; padding: .45rem .9rem; font-size: .95rem; border-radius: .375rem;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); cursor: pointer;
}
.button:hover { text-decoration: none; }
button.link { background: none; border: none; color: var(--accent); padding: 0; font-size: 1rem; }
button.danger { background: var(--card); color: var(--danger); border-color: var(--danger); }
form.inline { display: inline; margin: 0; }
.actions { margin-top: 1rem; display: flex; gap: .75rem; align-items: center; }
table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: .5rem; overflow: hidden; }
th, td { text-align: left; padding: .6rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: var(--bg); }
tr.current td { background: #eff6ff; }
.small { font-size: .8rem; color: var(--muted); }
.badge, button, .button { white-space: nowrap; }
.scroll { overflow-x: auto; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; background: var(--line); }
.badge.here { background: var(--accent); color: var(--accent-ink); }
.stage-authenticated { background: #dcfce7; color: #166534; }
.stage-in_course { background: #fef3c7; color: #92400e; }
.stage-anonymous { background: #f1f5f9; color: #475569; }
"#;
