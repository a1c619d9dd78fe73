//! Demo campaigns, generated through the campaign services with the clock
//! set to when each step happened: Daqing's "2012年惠民工程建议征集" with
//! the article's figures (3,000 suggestions in three months, 14 working
//! groups drawn from 32 departments, every suggestion answered, 100
//! projects of ¥2,860,000,000 in all, 70 of them from citizens'
//! suggestions, all delivered), and a smaller English one in Springfield.
//!
//! Suggestions are submitted through intake several at a time (so the
//! group committer writes them in batches), answered in batches of a few
//! hundred (`answer_many`) and published once per working group.

use crate::App;
use crate::access::Ctx;
use crate::model::{
    CampaignInput, CaseInput, GroupInput, MergeInput, MilestoneInput, PhaseInput, ProjectInput,
    ProjectPatch, PublishInput, SuggestionAnswer,
};
use crate::services::campaigns::{clusters, groups, phases, projects, suggestions};
use crate::services::tenants::TenantRecord;
use chrono::{DateTime, Duration, TimeZone, Utc};
use minsheng_domain::Error;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What a demo campaign run made.
#[derive(Clone, Copy, Debug, Default)]
pub struct CampaignReport {
    pub suggestions: usize,
    pub projects: usize,
}

/// The demo campaign of a demo city (`daqing` or `springfield`); other
/// cities get none.
pub async fn seed(app: &App, tenant: &TenantRecord) -> Result<CampaignReport, Error> {
    let report = match tenant.slug.as_str() {
        "daqing" => run(app, tenant, &daqing()).await,
        "springfield" => run(app, tenant, &springfield()).await,
        _ => Ok(CampaignReport::default()),
    };
    // The plans' cases are back-dated: their days were settled figures.
    app.figures.forget(tenant.id);
    report
}

/// One theme of a plan: a category and what citizens suggest under it.
struct Theme {
    code: &'static str,
    /// Share of the suggestions.
    weight: u32,
    /// Titles, with `{}` for a place.
    titles: &'static [&'static str],
    /// Why, appended to the title.
    why: &'static [&'static str],
    /// Names of projects of this theme, with `{}` for a place.
    projects: &'static [&'static str],
}

struct GroupPlan {
    name: &'static str,
    themes: &'static [&'static str],
}

struct ProjectPlan {
    title: String,
    theme: &'static str,
    /// Relative weight in the budget (a named project may fix its amount).
    weight: u32,
    from_citizens: bool,
}

struct Plan {
    slug: &'static str,
    title: &'static str,
    description: &'static str,
    budget_fen: i64,
    answer_days: u32,
    start: DateTime<Utc>,
    suggestions: usize,
    departments: usize,
    themes: Vec<Theme>,
    groups: Vec<GroupPlan>,
    places: &'static [&'static str],
    /// Named projects first, then generated ones up to `projects`.
    named: Vec<ProjectPlan>,
    projects: usize,
    from_citizens: usize,
    /// Delivered projects (the first ones); the rest are in progress.
    delivered: usize,
    closed: bool,
    english: bool,
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 1, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

fn daqing() -> Plan {
    let t = |code, weight, titles, why, projects| Theme {
        code,
        weight,
        titles,
        why,
        projects,
    };
    let g = |name, themes| GroupPlan { name, themes };
    let p = |title: &str, theme, weight| ProjectPlan {
        title: title.into(),
        theme,
        weight,
        from_citizens: true,
    };
    Plan {
        slug: "hm-2012",
        title: "2012年惠民工程建议征集",
        description: "市委、市政府面向全市征集2012年惠民工程建议：您最希望政府办哪些实事？每一条建议都有回音、件件有着落，采纳的建议将列入惠民工程，实施进度全程公开。",
        budget_fen: 286_000_000_000,
        answer_days: 15,
        start: at(2012, 3, 1),
        suggestions: 3000,
        departments: 32,
        themes: vec![
            t(
                "heating-fee",
                14,
                &[
                    "建议{}推行供热计量收费",
                    "{}供热收费标准应公开透明",
                    "建议延长{}供暖期",
                ],
                &[
                    "冬季室温偏低、收费按面积计算不合理，居民意见较大。",
                    "希望收费明细公开，让居民明明白白交费。",
                ],
                &["{}供热计量改造", "{}老旧供热管网改造"],
            ),
            t(
                "drainage",
                10,
                &[
                    "{}雨后积水严重，建议改造排水管网",
                    "建议提高{}污水处理标准",
                    "{}井盖缺失，建议统一更换",
                ],
                &[
                    "每逢大雨路面积水，行人车辆通行困难。",
                    "污水直排影响周边湖泊水质。",
                ],
                &["{}排水管网改造", "{}雨污分流工程"],
            ),
            t(
                "gas",
                6,
                &["建议{}老旧燃气管道改造", "{}应普及天然气入户"],
                &[
                    "管道老化存在安全隐患。",
                    "居民仍在使用液化气罐，既贵又不安全。",
                ],
                &["{}天然气管网延伸", "{}老旧燃气管道更新"],
            ),
            t(
                "road-damage",
                14,
                &[
                    "建议修缮{}破损道路",
                    "{}主干道需要拓宽改造",
                    "建议打通{}断头路",
                ],
                &["路面坑洼，雨天更加难行。", "上下班高峰拥堵严重。"],
                &["{}道路维修改造", "{}主干道拓宽工程"],
            ),
            t(
                "streetlight",
                6,
                &["{}路灯不亮，建议增设照明", "建议{}背街小巷安装路灯"],
                &["夜间出行不安全。", "老人孩子晚上出门看不清路。"],
                &["{}路灯亮化工程"],
            ),
            t(
                "pollution",
                14,
                &[
                    "建议在{}开展灭蚊专项行动",
                    "{}垃圾清运不及时",
                    "建议治理{}湖泊水体污染",
                ],
                &[
                    "夏季蚊虫多，影响居民生活和健康。",
                    "异味明显，周边居民苦不堪言。",
                ],
                &["{}垃圾转运站建设", "{}湖泊水体治理"],
            ),
            t(
                "bus-route",
                10,
                &[
                    "建议开通{}公交线路",
                    "{}公交车次太少，建议加密",
                    "建议{}增设公交站点",
                ],
                &["居民出行不便，打车费用高。", "等车时间过长。"],
                &["{}新辟公交线路", "{}公交候车亭建设"],
            ),
            t(
                "school-enrollment",
                12,
                &[
                    "{}幼儿园入园难，建议新建公办幼儿园",
                    "建议改善{}农村学校办学条件",
                    "{}学校周边交通安全需要加强",
                ],
                &["孩子多、学位少，民办园收费高。", "校舍陈旧，冬季取暖困难。"],
                &["{}中小学校舍改造", "{}学校操场改造"],
            ),
            t(
                "social-insurance",
                9,
                &[
                    "建议提高{}城乡低保标准",
                    "建议在{}建设社区卫生服务站",
                    "{}养老机构床位不足",
                ],
                &["困难群众生活压力大。", "看病要跑很远，排队时间长。"],
                &["{}社区卫生服务站建设", "{}养老服务中心建设"],
            ),
            t(
                "other",
                5,
                &["建议在{}建设健身广场", "建议{}增设便民市场"],
                &["居民缺少锻炼和活动的场所。", "买菜要走很远。"],
                &["{}全民健身广场", "{}便民市场建设"],
            ),
        ],
        groups: vec![
            g("供热保障一组", &["heating-fee"]),
            g("供热保障二组", &["heating-fee"]),
            g("排水治污组", &["drainage"]),
            g("燃气安全组", &["gas"]),
            g("道路建设组", &["road-damage"]),
            g("城市管理组", &["road-damage"]),
            g("市政设施组", &["streetlight"]),
            g("环境保护组", &["pollution"]),
            g("爱国卫生组", &["pollution"]),
            g("交通出行组", &["bus-route"]),
            g("教育文化组", &["school-enrollment"]),
            g("社会保障组", &["social-insurance"]),
            g("医疗卫生组", &["social-insurance"]),
            g("综合协调组", &["other"]),
        ],
        places: &[
            "东城区",
            "萨尔图区",
            "让胡路区",
            "龙凤区",
            "红岗区",
            "大同区",
            "高新区",
            "林甸县",
            "杜尔伯特县",
            "肇州县",
            "肇源县",
            "乘风庄",
            "东湖小区",
            "庆新社区",
            "八百垧",
            "万宝",
            "银浪",
            "喇嘛甸",
        ],
        named: vec![
            p("灭蚊专项行动", "pollution", 2),
            p("东城区污水处理厂深度处理", "drainage", 60),
            p("新建改建90所城乡公办幼儿园", "school-enrollment", 90),
        ],
        projects: 100,
        from_citizens: 70,
        delivered: 100,
        closed: true,
        english: false,
    }
}

fn springfield() -> Plan {
    let t = |code, weight, titles, why, projects| Theme {
        code,
        weight,
        titles,
        why,
        projects,
    };
    let g = |name, themes| GroupPlan { name, themes };
    let p = |title: &str, theme, weight| ProjectPlan {
        title: title.into(),
        theme,
        weight,
        from_citizens: true,
    };
    Plan {
        slug: "livable-streets",
        title: "Livable Streets: your ideas for next year",
        description: "The city asks residents which street improvements matter most. Every idea gets a public answer; the chosen ones become funded projects you can follow here to completion.",
        budget_fen: 1_250_000_000,
        answer_days: 10,
        start: Utc::now() - Duration::days(200),
        suggestions: 40,
        departments: 4,
        themes: vec![
            t(
                "sidewalk",
                3,
                &["Repair the sidewalks on {}", "Add curb ramps along {}"],
                &[
                    "Strollers and wheelchairs cannot get through.",
                    "People trip here every week.",
                ],
                &["Sidewalk repairs on {}"],
            ),
            t(
                "streetlight-out",
                2,
                &[
                    "More street lights on {}",
                    "Brighter lights at the {} crossing",
                ],
                &["It is too dark to walk home safely."],
                &["New street lights on {}"],
            ),
            t(
                "tree-trimming",
                2,
                &[
                    "Plant shade trees along {}",
                    "Trim the trees blocking signs on {}",
                ],
                &["The street is bare and hot in summer."],
                &["Shade trees for {}"],
            ),
            t(
                "park-maintenance",
                2,
                &[
                    "Fix the playground near {}",
                    "Benches and water fountains in the {} park",
                ],
                &["Families use it every day."],
                &["Playground renewal near {}"],
            ),
            t(
                "bus-stop",
                2,
                &[
                    "A shelter at the {} bus stop",
                    "Real-time arrival signs on {}",
                ],
                &["Riders wait in the rain and snow."],
                &["Bus shelters on {}"],
            ),
        ],
        groups: vec![
            g("Streets and sidewalks", &["sidewalk", "streetlight-out"]),
            g("Parks and trees", &["tree-trimming", "park-maintenance"]),
            g("Transit", &["bus-stop"]),
            g("Lighting", &["streetlight-out"]),
        ],
        places: &[
            "Evergreen Terrace",
            "Main Street",
            "Elm Street",
            "Fifth Avenue",
            "Industrial Way",
            "Spring Hill",
            "Lake Road",
        ],
        named: vec![
            p("Safe Sidewalks: Evergreen Terrace", "sidewalk", 4),
            p("Bus shelters on Main Street", "bus-stop", 2),
        ],
        projects: 6,
        from_citizens: 4,
        delivered: 2,
        closed: false,
        english: true,
    }
}

fn fill(template: &str, place: &str) -> String {
    template.replace("{}", place)
}

/// Pick an index by weight.
fn weighted(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.random_range(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    0
}

async fn run(app: &App, tenant: &TenantRecord, plan: &Plan) -> Result<CampaignReport, Error> {
    let mut rng = StdRng::seed_from_u64(2012);
    let mut ctx = Ctx::operator(app.clone(), "demo");
    let slug = plan.slug;
    ctx.clock = Some(plan.start - Duration::days(10));
    phases::create(
        &ctx,
        tenant,
        CampaignInput {
            slug: slug.into(),
            title: plan.title.into(),
            description: plan.description.into(),
            budget_fen: plan.budget_fen,
            answer_days: Some(plan.answer_days),
            themes: plan.themes.iter().map(|t| t.code.to_owned()).collect(),
            schedule: [
                ("collecting", plan.start),
                ("answering", plan.start + Duration::days(92)),
                ("selecting", plan.start + Duration::days(122)),
                ("implementing", plan.start + Duration::days(153)),
            ]
            .into_iter()
            .map(|(p, d)| (p.to_owned(), d.date_naive()))
            .collect(),
        },
    )
    .await?;
    // Working groups: the city's first departments, each in one group,
    // and the first two in a second one too.
    let departments: Vec<String> = crate::services::directory::departments(&ctx, tenant, false)
        .await?
        .into_iter()
        .filter(|d| d.parent_id.is_some())
        .take(plan.departments)
        .map(|d| d.code)
        .collect();
    let n = plan.groups.len();
    for (i, group) in plan.groups.iter().enumerate() {
        let mut members: Vec<String> = departments
            .iter()
            .enumerate()
            .filter(|(j, _)| j % n == i)
            .map(|(_, d)| d.clone())
            .collect();
        if i + 2 < n && departments.len() > 1 {
            members.push(departments[i % 2].clone());
        }
        groups::create(
            &ctx,
            tenant,
            slug,
            GroupInput {
                name: group.name.into(),
                departments: members,
                themes: group.themes.iter().map(|t| (*t).to_owned()).collect(),
            },
        )
        .await?;
    }
    let advance = |ctx: &mut Ctx, phase: &str, when: DateTime<Utc>| {
        ctx.clock = Some(when);
        PhaseInput {
            phase: phase.into(),
        }
    };
    let input = advance(&mut ctx, "collecting", plan.start);
    phases::advance(&ctx, tenant, slug, &input).await?;

    // Suggestions over three months, several at a time.
    let weights: Vec<u32> = plan.themes.iter().map(|t| t.weight).collect();
    let mut planned = Vec::new();
    for i in 0..plan.suggestions {
        let theme = &plan.themes[weighted(&mut rng, &weights)];
        let place = plan.places[rng.random_range(0..plan.places.len())];
        let title = fill(theme.titles[rng.random_range(0..theme.titles.len())], place);
        let why = theme.why[rng.random_range(0..theme.why.len())];
        let text = if plan.english {
            format!("{title}. {why} Please consider it for next year's projects.")
        } else {
            format!("{title}。{why}希望列入今年的惠民工程。")
        };
        let when = plan.start
            + Duration::seconds((i as i64) * 92 * 86_400 / (plan.suggestions as i64).max(1));
        planned.push((theme.code, title, text, when, rng.random_bool(0.9)));
    }
    let mut codes: Vec<(&'static str, String)> = Vec::new();
    for chunk in planned.chunks(64) {
        let submitted = futures_util::future::join_all(chunk.iter().map(
            |(theme, title, text, when, public)| {
                let mut c = ctx.clone();
                c.clock = Some(*when);
                let input = CaseInput {
                    category: (*theme).into(),
                    title: title.clone(),
                    text: text.clone(),
                    address: None,
                    latitude: None,
                    longitude: None,
                    contact_name: None,
                    contact_phone: None,
                    contact_email: None,
                    public: Some(*public),
                    attributes: Default::default(),
                    media_url: None,
                };
                async move { suggestions::submit(&c, tenant, slug, input, None).await }
            },
        ))
        .await;
        for ((theme, ..), done) in chunk.iter().zip(submitted) {
            codes.push((theme, done?.0.tracking_code));
        }
    }
    let answering = plan.start + Duration::days(92);
    let input = advance(&mut ctx, "answering", answering);
    phases::advance(&ctx, tenant, slug, &input).await?;

    // Projects: the named ones, then one per theme in turn.
    let mut projects_plan: Vec<ProjectPlan> = Vec::new();
    for named in &plan.named {
        projects_plan.push(ProjectPlan {
            title: named.title.clone(),
            theme: named.theme,
            weight: named.weight,
            from_citizens: true,
        });
    }
    let mut k = 0;
    while projects_plan.len() < plan.projects {
        let theme = &plan.themes[k % plan.themes.len()];
        let place = plan.places[(k * 7) % plan.places.len()];
        let title = fill(
            theme.projects[(k / plan.themes.len()) % theme.projects.len()],
            place,
        );
        let citizens =
            projects_plan.iter().filter(|p| p.from_citizens).count() < plan.from_citizens;
        projects_plan.push(ProjectPlan {
            title,
            theme: theme.code,
            weight: rng.random_range(5..40),
            from_citizens: citizens,
        });
        k += 1;
    }

    // Clusters: the suggestions each citizens' project came from.
    let mut pool: Vec<(&'static str, String)> = codes.clone();
    let mut cluster_of: Vec<Option<uuid::Uuid>> = Vec::new();
    let mut merged: std::collections::HashSet<String> = Default::default();
    ctx.clock = Some(answering + Duration::days(5));
    for project in &projects_plan {
        if !project.from_citizens {
            cluster_of.push(None);
            continue;
        }
        let size = if plan.english {
            2
        } else {
            rng.random_range(6..24)
        };
        let mut members = Vec::new();
        pool.retain(|(theme, code)| {
            if members.len() < size && *theme == project.theme {
                members.push(code.clone());
                false
            } else {
                true
            }
        });
        if members.len() < 2 {
            cluster_of.push(None);
            continue;
        }
        merged.extend(members.iter().cloned());
        let cluster = clusters::merge(
            &ctx,
            tenant,
            slug,
            &MergeInput {
                title: Some(project.title.clone()),
                cluster: None,
                suggestions: members,
            },
        )
        .await?;
        cluster_of.push(Some(cluster.id));
    }

    // Every suggestion answered, in batches, then published by group.
    let mut answers = Vec::new();
    for (_, code) in &codes {
        let (disposition, text, reason) = if merged.contains(code) {
            if plan.english {
                (
                    "merged",
                    "Merged with similar ideas into one project; see the project page.",
                    None,
                )
            } else {
                (
                    "merged",
                    "您的建议已与同类建议合并研究，列入惠民工程项目，实施进度请见项目页面。",
                    None,
                )
            }
        } else {
            match rng.random_range(0..100) {
                0..40 => (
                    "adopted",
                    if plan.english {
                        "Adopted: it is part of next year's work plan."
                    } else {
                        "您的建议已被采纳，列入相关部门年度工作计划。"
                    },
                    None,
                ),
                40..60 => (
                    "partly_adopted",
                    if plan.english {
                        "Partly adopted: part of it is in the plan."
                    } else {
                        "您的建议部分采纳，相关内容已纳入工作计划。"
                    },
                    None,
                ),
                60..95 => (
                    "not_adopted",
                    if plan.english {
                        "Not adopted this year."
                    } else {
                        "感谢您的建议，经研究今年暂不采纳。"
                    },
                    Some(if plan.english {
                        "It is already covered by a project under way."
                    } else {
                        "该事项已纳入正在实施的其他工程，或暂不具备实施条件。"
                    }),
                ),
                _ => (
                    "under_study",
                    if plan.english {
                        "Under study with the departments concerned."
                    } else {
                        "您的建议正在由相关部门研究论证。"
                    },
                    None,
                ),
            }
        };
        answers.push((
            code.clone(),
            SuggestionAnswer {
                disposition: disposition.into(),
                text: text.into(),
                reason: reason.map(str::to_owned),
                publish: Some(false),
            },
        ));
    }
    ctx.clock = Some(answering + Duration::days(10));
    for batch in answers.chunks(250) {
        suggestions::answer_many(&ctx, tenant, slug, batch).await?;
    }
    ctx.clock = Some(answering + Duration::days(14));
    suggestions::publish(&ctx, tenant, slug, &PublishInput::default()).await?;

    let selecting = plan.start + Duration::days(122);
    let input = advance(&mut ctx, "selecting", selecting);
    phases::advance(&ctx, tenant, slug, &input).await?;
    // Budgets: the plan's total, shared by weight, in whole ten-thousands
    // of yuan; the last project takes what is left.
    let total_weight: u64 = projects_plan.iter().map(|p| u64::from(p.weight)).sum();
    // A hundred yuan in Springfield, ten thousand in Daqing (in fen).
    let unit: i64 = if plan.english { 10_000 } else { 1_000_000 };
    let mut left = plan.budget_fen;
    let mut refs = Vec::new();
    for (i, project) in projects_plan.iter().enumerate() {
        let share = if i + 1 == projects_plan.len() {
            left
        } else {
            let raw = (plan.budget_fen as u128 * u128::from(project.weight)
                / u128::from(total_weight.max(1))) as i64;
            (raw / unit).max(1) * unit
        };
        left -= share;
        let reference = if plan.english {
            format!("LS-{:02}", i + 1)
        } else {
            format!("HM2012-{:03}", i + 1)
        };
        let starts = selecting + Duration::days(31 + (i as i64 % 30));
        projects::create(
            &ctx,
            tenant,
            slug,
            &ProjectInput {
                reference: reference.clone(),
                title: project.title.clone(),
                description: if plan.english {
                    format!(
                        "{}: chosen from residents' ideas and the departments' plans.",
                        project.title
                    )
                } else {
                    format!(
                        "{}。由市民建议和部门论证确定，纳入2012年惠民工程。",
                        project.title
                    )
                },
                theme: Some(project.theme.into()),
                lead_department: departments.get(i % departments.len().max(1)).cloned(),
                planned_fen: share,
                starts_on: Some(starts.date_naive()),
                ends_on: Some((starts + Duration::days(300)).date_naive()),
                status: None,
                parent: None,
                weight: None,
                clusters: cluster_of[i].into_iter().collect(),
                suggestions: Vec::new(),
            },
        )
        .await?;
        refs.push((reference, share, starts));
    }

    let implementing = plan.start + Duration::days(153);
    let input = advance(&mut ctx, "implementing", implementing);
    phases::advance(&ctx, tenant, slug, &input).await?;
    let now = Utc::now();
    for (i, (reference, share, starts)) in refs.iter().enumerate() {
        let steps: [(i64, &str, &str); 3] = [
            (0, "开工建设", "Work started"),
            (120, "主体工程完工", "Main works done"),
            (290, "竣工验收，交付使用", "Completed and handed over"),
        ];
        let delivered = i < plan.delivered;
        for (days, zh, en) in steps {
            let day = *starts + Duration::days(days);
            if day > now || (days == 290 && !delivered) {
                continue;
            }
            ctx.clock = Some(day.max(implementing));
            projects::add_milestone(
                &ctx,
                tenant,
                slug,
                reference,
                &MilestoneInput {
                    day: day.date_naive(),
                    text: if plan.english { en.into() } else { zh.into() },
                    image_url: None,
                },
            )
            .await?;
        }
        let (status, spent) = if delivered {
            ("delivered", share * 97 / 100)
        } else {
            ("in_progress", share / 2)
        };
        projects::update(
            &ctx,
            tenant,
            slug,
            reference,
            &ProjectPatch {
                status: Some(status.into()),
                progress: (!delivered).then_some(rng.random_range(20..80)),
                spent_fen: Some(spent),
            },
        )
        .await?;
    }
    if plan.closed {
        let input = advance(&mut ctx, "closed", at(2013, 12, 31));
        phases::advance(&ctx, tenant, slug, &input).await?;
    }
    Ok(CampaignReport {
        suggestions: codes.len(),
        projects: refs.len(),
    })
}
