//! The HTML pages and the forms they post: one file per page, with its
//! handlers and its markup. `layout` holds the page shell and the
//! stylesheet they share.

pub(crate) mod devices;
pub(crate) mod home;
pub(crate) mod layout;
pub(crate) mod login;
