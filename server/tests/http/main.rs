//! Server tests: one binary, a file per feature. Each starts the real
//! `fixline` binary on a real database (a fresh SQLite file, or a fresh
//! PostgreSQL database) and talks to it over HTTP; nearly every test runs
//! on both databases (`on_both_databases!`).

#[macro_use]
mod support;
mod fuzz_support;

mod authz;
mod concurrency;
mod crash;
mod edge;
mod find_case;
mod fuzz;
mod lifecycle;
mod notify;
mod notify_customer_mail;
mod notify_email;
mod notify_reminders;
mod notify_retention;
mod notify_routing;
mod notify_sms;
mod notify_sms_delivery;
mod on_the_way;
mod schema;
mod visits;
mod widget_api;
mod widget_duty;
