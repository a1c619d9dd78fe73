//! `minsheng user create` and `minsheng apikey create`: accounts and API keys.

use super::{ApikeyCommand, UserCommand, operator_ctx};
use minsheng_app::config::Config;
use minsheng_app::services;

/// `minsheng user create`.
pub(super) async fn user(config: Config, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            tenant,
            operator,
            citizen,
            username,
            display_name,
            roles,
            departments,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let (state, ctx) = operator_ctx(config).await?;
            let display_name = display_name.unwrap_or_else(|| username.clone());
            if operator {
                let id = services::accounts::create_operator(
                    &state.store,
                    &username,
                    &display_name,
                    &password,
                )
                .await?;
                println!("created platform operator {username} ({id})");
                return Ok(());
            }
            let slug = tenant.unwrap_or_default();
            let record = services::tenants::find(state.store.db(), &slug).await?;
            if citizen {
                let id = services::accounts::create_citizen(
                    &state.store,
                    &record,
                    &username,
                    &display_name,
                    &password,
                )
                .await?;
                println!("created citizen {username} in {slug} ({id})");
                return Ok(());
            }
            let input = minsheng_app::model::UserInput {
                username: username.clone(),
                display_name,
                email: None,
                password,
                departments: Some(departments),
                roles: Some(roles.clone()),
            };
            let user = services::accounts::create_user(&ctx, &record, input).await?;
            println!(
                "created {username} in {slug} ({}) with roles: {}",
                user.id,
                roles.join(", ")
            );
            Ok(())
        }
    }
}

/// `minsheng apikey create`.
pub(super) async fn apikey(config: Config, command: ApikeyCommand) -> anyhow::Result<()> {
    match command {
        ApikeyCommand::Create {
            tenant,
            name,
            scopes,
        } => {
            let (state, ctx) = operator_ctx(config).await?;
            let record = services::tenants::find(state.store.db(), &tenant).await?;
            let input = minsheng_app::model::ApiKeyInput {
                name,
                scopes: Some(scopes),
            };
            let created = services::accounts::create_api_key(&ctx, &record, input).await?;
            println!("{}", created.key);
            eprintln!("This key is shown once; store it now. Only its hash is kept.");
            Ok(())
        }
    }
}

/// A new account's password, from MINSHENG_NEW_PASSWORD or standard input;
/// never from an argument, which other users could see in the process list.
fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    std::env::var("MINSHENG_NEW_PASSWORD").map_err(|_| {
        anyhow::anyhow!(
            "give the password in MINSHENG_NEW_PASSWORD or on standard input with --password-stdin"
        )
    })
}
