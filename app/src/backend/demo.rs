//! Demo data: one service company, two customer organisations with sites and
//! assets, and staff users with known passwords. Only loaded in demo mode,
//! and only into an empty database.

use sqlx::AnyPool;

use super::auth::create_staff;
use super::db::now_ms;
use crate::models::Role;

pub const DEMO_PASSWORD: &str = "fixline-demo";

/// (username, display name, role); all share `DEMO_PASSWORD`.
pub const DEMO_STAFF: [(&str, &str, Role); 4] = [
    ("admin", "管理员 周宁", Role::Admin),
    ("supervisor", "主管 陈立", Role::Supervisor),
    ("dispatcher", "调度 李娜", Role::Dispatcher),
    ("tech", "技术员 王强", Role::Technician),
];

pub const DEMO_ORG_KEYS: [&str; 2] = ["demo-hospital", "demo-factory"];

/// Loads the demo data unless organisations exist already. Returns whether it loaded.
pub async fn seed(pool: &AnyPool) -> Result<bool, String> {
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations").fetch_one(pool).await.map_err(|e| e.to_string())?;
    if existing > 0 {
        return Ok(false);
    }
    insert(pool).await.map_err(|e| format!("loading demo data failed: {e}"))?;
    for (username, name, role) in DEMO_STAFF {
        create_staff(pool, username, name, role, DEMO_PASSWORD).await.map_err(|e| e.to_string())?;
    }
    // The hospital's widget (the one the demo intranet embeds) has a logo,
    // so theming is seen at once; the factory's has none.
    let hospital: i64 = sqlx::query_scalar("SELECT id FROM organisations WHERE widget_key = $1")
        .bind(DEMO_ORG_KEYS[0])
        .fetch_one(pool)
        .await
        .map_err(|e| e.to_string())?;
    super::settings::save_logo(pool, hospital, Some(DEMO_HOSPITAL_LOGO)).await.map_err(|e| format!("demo logo: {e}"))?;
    super::notify::roster::save(pool, DEMO_ROSTER).await.map_err(|e| format!("demo roster: {e}"))?;
    Ok(true)
}

/// Day and night shifts on working days, one person through weekends and
/// holidays (the company calendar says which days are which).
const DEMO_ROSTER: &str = "days,start,end,name,phone\n\
    workdays,08:30,18:00,调度 李娜,13800000003\n\
    workdays,18:00,08:30,技术员 王强,13800000004\n\
    offdays,08:30,08:30,主管 陈立,13800000002\n";

/// A 48×48 PNG: a white cross on Fixline's blue.
const DEMO_HOSPITAL_LOGO: &[u8] = include_bytes!("../../demo/hospital-logo.png");

async fn insert(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx = pool.begin().await?;
    let company: i64 = sqlx::query_scalar("INSERT INTO companies (name, hotline) VALUES ($1, $2) RETURNING id")
        .bind("恒安安防技术服务有限公司")
        .bind("400-820-1234")
        .fetch_one(&mut *tx)
        .await?;

    // (org, key, [(site, address, zone, [(kind, name, model, serial)])])
    type Asset = (&'static str, &'static str, &'static str, &'static str);
    type Site = (&'static str, &'static str, &'static str, Vec<Asset>);
    let orgs: [(&str, &str, Vec<Site>); 2] = [
        (
            "市第一人民医院",
            DEMO_ORG_KEYS[0],
            vec![
                (
                    "门诊楼",
                    "上海市黄浦区中山南路 100 号",
                    "ring1",
                    vec![
                        ("alarm_panel", "无线报警主机", "HA-8800", "HA88-20240315-0017"),
                        ("remote", "无线遥控器（值班室）", "RC-4", "RC4-2403-0562"),
                        ("pir_detector", "双元红外探测器（药房）", "PIR-D12", "PIR-2403-1188"),
                        ("nvr", "硬盘录像机", "NVR-3216", "NVR32-2023-0542"),
                    ],
                ),
                (
                    "住院部",
                    "上海市黄浦区中山南路 120 号",
                    "ring1",
                    vec![
                        ("smoke_detector", "无线光电烟感（5 楼）", "SD-300W", "SD3-2402-7781"),
                        ("camera", "半球摄像机（护士站）", "IPC-D420", "IPC4-2311-0931"),
                        ("his_client", "医院信息系统客户端", "HIS 5.2", "HIS-WS-0342"),
                    ],
                ),
            ],
        ),
        (
            "华东精密制造厂",
            DEMO_ORG_KEYS[1],
            vec![(
                "一号厂区",
                "上海市嘉定区安亭镇工业路 8 号",
                "ring3",
                vec![
                    ("alarm_panel", "无线报警主机", "HA-6600", "HA66-20220901-0211"),
                    ("repeater", "无线信号中继器", "RP-20", "RP20-2209-0045"),
                    ("access_reader", "门禁读卡器（仓库）", "AC-R5", "ACR5-2301-3321"),
                    ("led_display", "LED 显示屏（大门）", "P10-OUT", "LED-2105-0007"),
                    ("solar_water_heater", "太阳能热水器（宿舍楼顶）", "SWH-300L", "SWH-2007-0118"),
                    ("door_lock", "磁力锁（仓库门）", "ML-280", "ML280-2301-0412"),
                ],
            )],
        ),
    ];

    for (name, key, sites) in orgs {
        let org: i64 = sqlx::query_scalar(
            "INSERT INTO organisations (company_id, name, widget_key, timezone, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(company)
        .bind(name)
        .bind(key)
        .bind("Asia/Shanghai")
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for (site_name, address, zone, assets) in sites {
            let site: i64 = sqlx::query_scalar("INSERT INTO sites (org_id, name, address, zone) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(org)
                .bind(site_name)
                .bind(address)
                .bind(zone)
                .fetch_one(&mut *tx)
                .await?;
            for (kind, asset_name, model, serial) in assets {
                sqlx::query(
                    "INSERT INTO assets (org_id, site_id, kind, name, model, serial, commissioned_on, warranty_months) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(org)
                .bind(site)
                .bind(kind)
                .bind(asset_name)
                .bind(model)
                .bind(serial)
                // Older kit (by its serial's year) is out of warranty, so the demo shows both cases.
                .bind(if ["2020", "2021", "2022", "-22"].iter().any(|y| serial.contains(y)) { "2022-09-01" } else { "2025-03-15" })
                .bind(24i64)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    // Alarm panels: main unit 3 years, parts 1 year (brief, 001-8).
    sqlx::query("UPDATE assets SET component_terms = $1 WHERE kind = 'alarm_panel'")
        .bind(r#"[["main_unit",36],["parts",12]]"#)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
