//! The staff console, a folder per concern: sign-in, the queue, the case
//! page with its actions and the signed report, follow-up lists and
//! visits, guides, settings, notification channels with their delivery
//! log, the customer-SMS account, and the on-duty roster.

pub mod case;
pub mod case_actions;
pub mod followup;
pub mod guides;
pub mod login;
pub mod notify;
pub mod notify_log;
pub mod queue;
pub mod report;
pub mod roster;
pub mod settings;
pub mod sms;

pub use case::CasePage;
pub use login::LoginPage;
pub use queue::QueuePage;
