//! The Fixline server: serves the widget and console (SSR + hydration), the
//! server functions, and the static assets built by cargo-leptos.

mod intranet;
mod web;

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use app::backend::{auth, db, demo};
use app::models::Role;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "fixline", version, about = "Fixline after-sales service")]
struct Cli {
    /// sqlite://PATH or postgres://USER@HOST:PORT/DB
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/fixline.db", global = true)]
    database_url: String,

    /// Log filter, e.g. info or fixline=debug,tower_http=info
    #[arg(long, env = "FIXLINE_LOG", default_value = "info", global = true)]
    log: String,

    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Fixline (the default)
    Serve(ServeArgs),
    /// Administration
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff user (the first admin of a real installation)
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "")]
        display_name: String,
        #[arg(long, value_enum, default_value = "admin")]
        role: RoleArg,
        /// Read from this variable; if unset, the password is read from standard input
        #[arg(long, env = "FIXLINE_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Admin,
    Supervisor,
    Dispatcher,
    Technician,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, env = "FIXLINE_ADDR", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,

    /// Load demo organisations and staff (password `fixline-demo`) into an empty database
    #[arg(long, env = "FIXLINE_DEMO")]
    demo: bool,

    /// Mark cookies Secure; set this when Fixline is served over HTTPS
    #[arg(long, env = "FIXLINE_SECURE_COOKIES")]
    secure_cookies: bool,

    /// Seconds between rounds of the breach job (raises overdue cases)
    #[arg(long, env = "FIXLINE_BREACH_EVERY", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    breach_every: u64,

    /// Also serve a demo intranet page embedding the widget at this address
    /// (another origin); with --demo, the demo organisations allow it
    #[arg(long, env = "FIXLINE_DEMO_INTRANET")]
    demo_intranet: Option<SocketAddr>,

    /// Folder with the built site (pkg/ and public files)
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    site_root: String,

    /// Pooled database connections (default: 8 on SQLite, 16 on PostgreSQL)
    #[arg(long, env = "FIXLINE_DB_POOL_SIZE", value_parser = clap::value_parser!(u32).range(2..=500))]
    db_pool_size: Option<u32>,

    /// Seconds a request waits for a database connection before it is answered 503
    #[arg(long, env = "FIXLINE_DB_ACQUIRE_TIMEOUT", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=120))]
    db_acquire_timeout: u64,

    /// Anonymous widget reads per client address and organisation a minute (0: no anonymous limits at all)
    #[arg(long, env = "FIXLINE_ANON_RATE_PER_MINUTE", default_value_t = 600)]
    anon_rate_per_minute: u32,

    /// Reports and customer actions per client address and organisation a minute (0: none)
    #[arg(long, env = "FIXLINE_SUBMIT_RATE_PER_MINUTE", default_value_t = 60)]
    submit_rate_per_minute: u32,

    /// Customer photo uploads per client address and organisation an hour (0: none)
    #[arg(long, env = "FIXLINE_UPLOAD_RATE_PER_HOUR", default_value_t = 240)]
    upload_rate_per_hour: u32,

    /// Sign-in attempts per client address a minute (0: none)
    #[arg(long, env = "FIXLINE_LOGIN_RATE_PER_MINUTE", default_value_t = 30)]
    login_rate_per_minute: u32,

    /// Cases an organisation may report in 24 hours unless it has its own cap (0: no cap)
    #[arg(long, env = "FIXLINE_DAILY_CASE_CAP", default_value_t = 1000)]
    daily_case_cap: u32,

    /// Client addresses come from the last X-Forwarded-For entry (only behind a proxy that sets it)
    #[arg(long, env = "FIXLINE_TRUST_FORWARDED_FOR")]
    trust_forwarded_for: bool,

    /// Where staff reach Fixline, for links in notifications (default: the listening address)
    #[arg(long, env = "FIXLINE_PUBLIC_URL")]
    public_url: Option<String>,

    /// Milliseconds between rounds of the notification worker
    #[arg(long, env = "FIXLINE_NOTIFY_EVERY_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(50..=600_000))]
    notify_every_ms: u64,

    /// Milliseconds a chat robot has to answer one message
    #[arg(long, env = "FIXLINE_NOTIFY_TIMEOUT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(100..=120_000))]
    notify_timeout_ms: u64,

    /// Least milliseconds between two text messages to one customer number (the SMS providers' default: one a minute)
    #[arg(long, env = "FIXLINE_SMS_GAP_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    sms_gap_ms: u64,

    /// "Received" texts (the ones the public form causes) the cases of one customer organisation may send in 24 hours; the rest fail and are listed in the delivery log (0: no cap)
    #[arg(long, env = "FIXLINE_SMS_DAILY_CAP", default_value_t = 200)]
    sms_daily_cap: u32,

    /// Days delivered and failed notifications (robots, e-mail, texts) and their tries are kept
    #[arg(long, env = "FIXLINE_NOTIFY_KEEP_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(2..=3650))]
    notify_keep_days: u32,

    /// Accept any host and plain http:// for robot webhooks and SMS services (a private relay, or tests); otherwise only the providers' HTTPS hosts
    #[arg(long, env = "FIXLINE_NOTIFY_ANY_URL")]
    notify_any_url: bool,

    /// SMTP relay for e-mail channels: smtp://host:25, smtp://user:password@host:587?tls=required or smtps://user:password@host:465
    #[arg(long, env = "FIXLINE_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,

    /// Sender of e-mail notifications
    #[arg(long, env = "FIXLINE_SMTP_FROM", default_value = "Fixline <noreply@localhost>")]
    smtp_from: String,

    /// Open client connections at most; further ones wait to be accepted
    #[arg(long, env = "FIXLINE_MAX_CONNECTIONS", default_value_t = 4096, value_parser = clap::value_parser!(u32).range(16..=1_000_000))]
    max_connections: u32,
}

fn main() -> ExitCode {
    // Binaries built by cargo-leptos carry the output name; others (cargo
    // test, cargo run) get the project's. Set before any thread starts.
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_none() {
        std::env::set_var("LEPTOS_OUTPUT_NAME", "fixline");
    }
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&cli.log).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Some(Command::Admin { command }) => admin(&cli.database_url, command).await,
            Some(Command::Serve(args)) => web::serve(&cli.database_url, args).await,
            None => web::serve(&cli.database_url, cli.serve).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(message),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("fixline: {message}");
    ExitCode::FAILURE
}

async fn admin(database_url: &str, command: AdminCommand) -> Result<(), String> {
    let AdminCommand::Create { username, display_name, role, password } = command;
    let password = match password {
        Some(p) => p,
        None => {
            eprint!("Password for {username}: ");
            std::io::stderr().flush().ok();
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let role = match role {
        RoleArg::Admin => Role::Admin,
        RoleArg::Supervisor => Role::Supervisor,
        RoleArg::Dispatcher => Role::Dispatcher,
        RoleArg::Technician => Role::Technician,
    };
    let (pool, _) = db::connect(database_url).await?;
    let id = auth::create_staff(&pool, &username, &display_name, role, &password).await.map_err(|e| e.to_string())?;
    println!("created {} user '{username}' (id {id})", role.as_str());
    Ok(())
}

pub(crate) fn print_banner(addr: SocketAddr, demo_loaded: bool, demo: bool, intranet: Option<SocketAddr>) {
    let base = format!("http://{addr}");
    println!("listening on {base}");
    if let Some(i) = intranet {
        println!("demo intranet on http://{i}");
    }
    if demo {
        println!();
        println!("Fixline is running{}.", if demo_loaded { " (demo data loaded)" } else { "" });
        for key in demo::DEMO_ORG_KEYS {
            println!("  Customer widget: {base}/widget/{key}");
        }
        if let Some(i) = intranet {
            println!("  Demo intranet:   http://{i}/ (embeds the widget from another origin; inline mode: http://{i}/inline)");
        }
        println!("  Staff console:   {base}/console");
        println!("  Demo logins (password '{}'):", demo::DEMO_PASSWORD);
        for (username, name, role) in demo::DEMO_STAFF {
            println!("    {username:<11} {:<11} {name}", role.as_str());
        }
        println!();
    }
    std::io::stdout().flush().ok();
}
