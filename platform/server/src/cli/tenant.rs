//! `minsheng tenant …`: apply, export, import and list cities.

use super::{TenantCommand, open_store};
use minsheng_app::config::Config;
use minsheng_app::{bundle, services};
use std::path::PathBuf;

pub(super) async fn tenant(config: Config, command: TenantCommand) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    store.migrate().await?;
    match command {
        TenantCommand::Apply { dir, dry_run } => {
            println!("reading bundle {}", dir.display());
            let bundle = bundle::format::Bundle::read(&dir)?;
            println!(
                "  {} departments, {} categories, {} calendar days",
                bundle.departments.department.len(),
                bundle.categories.category.len(),
                bundle.calendar.len()
            );
            let report = bundle::apply::apply(&store, &bundle, dry_run).await?;
            print!("{report}");
            if dry_run {
                println!("dry run: nothing was saved");
            }
            Ok(())
        }
        TenantCommand::Export {
            slug,
            with_cases: true,
            out,
        } => {
            let out = out.unwrap_or_else(|| minsheng_app::archive::write::default_path(&slug));
            eprintln!("writing the archive of {slug} to {}", out.display());
            let started = std::time::Instant::now();
            let done = minsheng_app::archive::write::export(&store, &slug, &out, table_progress())
                .await
                .inspect_err(|_| eprintln!())?;
            minsheng_app::archive::audit(&store, "tenant_export", &slug).await?;
            println!(
                "wrote {} rows of {slug} ({:.1} MB) to {} in {:.1} s",
                done.rows,
                done.bytes as f64 / 1e6,
                done.path.display(),
                started.elapsed().as_secs_f64()
            );
            eprintln!("The archive holds personal data and secrets: keep it private.");
            Ok(())
        }
        TenantCommand::Import { file, dry_run } => {
            eprintln!("reading the archive {}", file.display());
            let started = std::time::Instant::now();
            let done =
                minsheng_app::archive::import::import(&store, &file, dry_run, table_progress())
                    .await
                    .inspect_err(|_| eprintln!())?;
            let header = &done.header;
            if dry_run {
                println!(
                    "dry run: the archive of {} ({} rows, exported {} by Minsheng {}) loads \
                     cleanly; nothing was saved",
                    header.tenant,
                    done.rows,
                    header.exported_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    header.minsheng
                );
            } else {
                minsheng_app::archive::audit(&store, "tenant_import", &header.tenant).await?;
                println!(
                    "imported the city {} ({} rows, exported {} by Minsheng {}) in {:.1} s",
                    header.tenant,
                    done.rows,
                    header.exported_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    header.minsheng,
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(())
        }
        TenantCommand::Export {
            slug,
            with_cases: false,
            out,
        } => {
            let out = out.unwrap_or_else(|| PathBuf::from(&slug));
            let bundle = bundle::export::export(&store, &slug).await?;
            bundle.write(&out)?;
            println!("wrote {} to {}", slug, out.display());
            Ok(())
        }
        TenantCommand::List => {
            let tenants = services::tenants::list(&store).await?;
            println!(
                "{:<20} {:<8} {:<7} {:<20} NAME",
                "SLUG", "LOCALE", "ACTIVE", "TIME ZONE"
            );
            for t in tenants {
                println!(
                    "{:<20} {:<8} {:<7} {:<20} {}",
                    t.slug,
                    t.locale,
                    if t.active { "yes" } else { "no" },
                    t.time_zone,
                    t.name
                );
            }
            Ok(())
        }
    }
}

/// Rows done per table on standard error, one line per table.
fn table_progress() -> impl FnMut(&str, u64, u64) {
    use std::io::Write;
    let started = std::time::Instant::now();
    let mut finished = String::new();
    move |table, done, total| {
        if finished == table {
            return;
        }
        eprint!(
            "\r  {table:<18} {done:>9}/{total:<9} ({:.0}s)",
            started.elapsed().as_secs_f64()
        );
        if done >= total {
            eprintln!();
            table.clone_into(&mut finished);
        }
        let _ = std::io::stderr().flush();
    }
}
