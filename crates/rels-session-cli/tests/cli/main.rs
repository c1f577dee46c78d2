//! The `rels-session` binary, run as a process against a real Redis that
//! holds sessions written by the gem (its fixture and the Ruby script).

mod changing;
mod errors;
mod reading;
mod support;
