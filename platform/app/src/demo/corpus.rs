//! Demo corpus: realistic text for generated petition cases.
//!
//! Every category code in the demo bundles (`tenants/daqing` in Chinese, `tenants/springfield`
//! in English) has its own templates: a few *variants* per category (a sub-problem such as
//! "elevator" or "fees" under 物业管理), each with titles, texts and answers that fit together.
//! Templates are `&'static str` with `{slot}` placeholders that are filled with random but
//! consistent details: a district, a residential compound (小区) with 栋/单元/门牌 numbers, a road
//! and a landmark in that district for Daqing; a house number, street, cross street and park for
//! Springfield; plus times, counts and bus lines.
//!
//! One 暖气不热 variant mirrors the 2013 东北网 article about the 百湖民声 platform: a cold flat in
//! 东城领秀 C-22 栋 2 单元, fixed because the 温控阀 was broken.
//!
//! Titles and texts never contain personal names or phone numbers: the public sees them.
//! Unknown category codes fall back to generic text in the requested language, and nothing here
//! panics.

use rand::Rng;
use rand::seq::IndexedRandom;

/// One generated case: what the citizen wrote, where, how the department answered, and what an
/// unhappy citizen says when rating the answer 不满意 / unsatisfied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Case title, 5..=60 characters.
    pub title: String,
    /// The citizen's question or complaint, 20..=600 characters.
    pub text: String,
    /// Where the problem is, when the category is about a place.
    pub address: Option<String>,
    /// The department's public answer, 20..=500 characters.
    pub answer: String,
    /// What an unhappy citizen writes when rating the answer unsatisfied.
    pub unsatisfied_comment: String,
}

/// Title length limits, in characters.
pub const TITLE_CHARS: (usize, usize) = (5, 60);
/// Text length limits, in characters.
pub const TEXT_CHARS: (usize, usize) = (20, 600);
/// Answer length limits, in characters.
pub const ANSWER_CHARS: (usize, usize) = (20, 500);
/// Unsatisfied comment length limits, in characters.
pub const COMMENT_CHARS: (usize, usize) = (5, 300);

/// Generates demo text for one case.
///
/// `locale` is "zh-CN" or "en" (any locale starting with "zh" is Chinese, anything else is
/// English); `category` is a category code from the bundles. Unknown codes fall back to generic
/// text in that language. Never panics.
pub fn sample(locale: &str, category: &str, rng: &mut impl Rng) -> Sample {
    if is_zh(locale) {
        let mut ctx = zh::context(rng);
        let article = category == "heating-cold" && rng.random_ratio(1, 5);
        if article {
            zh::article_place(&mut ctx, rng);
            build(&zh::LANG, &ctx, category, Some(&zh::ARTICLE), rng)
        } else {
            build(&zh::LANG, &ctx, category, None, rng)
        }
    } else {
        let ctx = en::context(rng);
        build(&en::LANG, &ctx, category, None, rng)
    }
}

fn is_zh(locale: &str) -> bool {
    locale
        .get(..2)
        .is_some_and(|p| p.eq_ignore_ascii_case("zh"))
}

/// What kind of address a variant's case has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// No address (personal matters such as wages or pensions).
    None,
    /// A flat or house.
    Home,
    /// A residential compound (小区) or a city block.
    Community,
    /// A road, or a street corner.
    Road,
    /// A landmark such as a railway station square.
    Spot,
    /// A park.
    Park,
}

/// Templates for one sub-problem of a category.
///
/// Unless `free`, the lists are parallel: one story index `k` picks `titles[k % len]`,
/// `texts[k % len]` and `answers[k % len]`, so a title, its text and its answer match (a list
/// with one item fits every story). With `free`, any title fits any text and any answer.
struct Variant {
    place: Place,
    free: bool,
    titles: &'static [&'static str],
    texts: &'static [&'static str],
    answers: &'static [&'static str],
}

/// All templates for one category code.
struct Entry {
    code: &'static str,
    variants: &'static [Variant],
    /// Category-specific unsatisfied comments, mixed with the language's generic ones.
    unhappy: &'static [&'static str],
}

/// One language's tables.
struct Lang {
    entries: &'static [Entry],
    fallback: Entry,
    unhappy: &'static [&'static str],
    text_tails: &'static [&'static str],
    answer_heads: &'static [&'static str],
    answer_tails: &'static [&'static str],
    /// An answer containing this already thanks the citizen; no tail is added.
    thanks: &'static str,
    /// A text containing this already thanks the reader; no tail is added.
    thanks_text: &'static str,
    /// Separator between a sentence and an appended tail.
    sep: &'static str,
    /// Appended if a filled template is ever shorter than its minimum.
    filler: &'static str,
}

/// Filled-in slot values and the addresses they make up.
#[derive(Default)]
struct Ctx {
    slots: Vec<(&'static str, String)>,
    home: String,
    community: String,
    road: String,
    spot: String,
    park: String,
}

impl Ctx {
    fn set(&mut self, key: &'static str, value: String) {
        if let Some(slot) = self.slots.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.slots.push((key, value));
        }
    }

    fn address(&self, place: Place) -> Option<String> {
        match place {
            Place::None => None,
            Place::Home => Some(self.home.clone()),
            Place::Community => Some(self.community.clone()),
            Place::Road => Some(self.road.clone()),
            Place::Spot => Some(self.spot.clone()),
            Place::Park => Some(self.park.clone()),
        }
    }

    fn fill(&self, template: &str) -> String {
        let mut out = template.to_owned();
        for (key, value) in &self.slots {
            if out.contains(key) {
                out = out.replace(key, value);
            }
        }
        out
    }
}

fn build<R: Rng + ?Sized>(
    lang: &Lang,
    ctx: &Ctx,
    category: &str,
    forced: Option<&Variant>,
    rng: &mut R,
) -> Sample {
    let entry = lang
        .entries
        .iter()
        .find(|e| e.code == category)
        .unwrap_or(&lang.fallback);
    let chosen = match forced {
        Some(v) => Some(v),
        None => entry.variants.choose(rng),
    };
    let Some(variant) = chosen.or_else(|| lang.fallback.variants.first()) else {
        return Sample {
            title: fit(String::new(), TITLE_CHARS, lang.filler),
            text: fit(String::new(), TEXT_CHARS, lang.filler),
            address: None,
            answer: fit(String::new(), ANSWER_CHARS, lang.filler),
            unsatisfied_comment: fit(String::new(), COMMENT_CHARS, lang.filler),
        };
    };

    let (title, text, answer) = if variant.free {
        (
            pick(rng, variant.titles),
            pick(rng, variant.texts),
            pick(rng, variant.answers),
        )
    } else {
        let stories = variant
            .titles
            .len()
            .max(variant.texts.len())
            .max(variant.answers.len())
            .max(1);
        let k = rng.random_range(0..stories);
        (
            nth(variant.titles, k),
            nth(variant.texts, k),
            nth(variant.answers, k),
        )
    };
    let title = ctx.fill(title);

    let mut text = ctx.fill(text);
    if rng.random_ratio(1, 3) && !text.contains(lang.thanks_text) {
        let tail = pick(rng, lang.text_tails);
        if !tail.is_empty() && !text.contains(tail) {
            text = join(&text, lang.sep, tail);
        }
    }

    let mut answer = ctx.fill(answer);
    let head = pick(rng, lang.answer_heads);
    if !head.is_empty() {
        answer = format!("{head}{answer}");
    }
    if !answer.contains(lang.thanks) {
        let tail = pick(rng, lang.answer_tails);
        if !tail.is_empty() {
            answer = join(&answer, lang.sep, tail);
        }
    }

    let own = !entry.unhappy.is_empty() && rng.random_bool(0.6);
    let comment = if own {
        pick(rng, entry.unhappy)
    } else {
        pick(rng, lang.unhappy)
    };

    Sample {
        title: fit(title, TITLE_CHARS, lang.filler),
        text: fit(text, TEXT_CHARS, lang.filler),
        address: ctx.address(variant.place),
        answer: fit(answer, ANSWER_CHARS, lang.filler),
        unsatisfied_comment: fit(ctx.fill(comment), COMMENT_CHARS, lang.filler),
    }
}

fn pick<R: Rng + ?Sized>(rng: &mut R, items: &[&'static str]) -> &'static str {
    items.choose(rng).copied().unwrap_or("")
}

/// The `k`-th item, wrapping around; "" for an empty list.
fn nth(items: &[&'static str], k: usize) -> &'static str {
    k.checked_rem(items.len())
        .and_then(|i| items.get(i))
        .copied()
        .unwrap_or("")
}

fn pick_str<R: Rng + ?Sized>(rng: &mut R, items: &[&'static str]) -> String {
    pick(rng, items).to_owned()
}

fn join(a: &str, sep: &str, b: &str) -> String {
    format!("{a}{sep}{b}")
}

/// Pads a too-short string with `filler` and cuts a too-long one, counting characters.
fn fit(mut s: String, (min, max): (usize, usize), filler: &str) -> String {
    while s.chars().count() < min && !filler.is_empty() {
        s.push_str(filler);
    }
    if s.chars().count() > max {
        s = s.chars().take(max).collect();
    }
    s
}

// ---------------------------------------------------------------------------------------------
// 大庆 (zh-CN)
// ---------------------------------------------------------------------------------------------

mod zh {
    use super::{Ctx, Entry, Lang, Place, Variant, pick, pick_str};
    use rand::Rng;
    use rand::seq::IndexedRandom;

    struct District {
        name: &'static str,
        communities: &'static [&'static str],
        roads: &'static [&'static str],
        spots: &'static [&'static str],
    }

    const DISTRICTS: &[District] = &[
        District {
            name: "萨尔图区",
            communities: &[
                "奥林国际公寓",
                "湖滨花园",
                "华城新区",
                "东风新村",
                "远望小区",
                "万宝小区",
            ],
            roads: &[
                "纬二路",
                "东风路",
                "会战大街",
                "经六街",
                "世纪大道",
                "中央大街",
            ],
            spots: &[
                "萨尔图火车站站前广场",
                "百货大楼门前",
                "东风新村客运站",
                "市人民医院门口",
            ],
        },
        District {
            name: "龙凤区",
            communities: &["东城领秀", "龙凤小区", "东光小区", "三永小区", "卧里屯小区"],
            roads: &["龙凤大街", "卧里屯大街", "东光路", "兴化路"],
            spots: &[
                "龙凤火车站广场",
                "龙凤湿地公园门口",
                "龙凤客运站",
                "龙凤区医院门口",
            ],
        },
        District {
            name: "让胡路区",
            communities: &["阳光嘉城", "西宾小区", "银浪小区", "乘风小区", "景园小区"],
            roads: &["西宾路", "乘风大街", "银浪大街", "中央大街", "西苑路"],
            spots: &[
                "让胡路火车站广场",
                "大庆西站出站口",
                "乘风庄商圈",
                "油田总医院门口",
            ],
        },
        District {
            name: "红岗区",
            communities: &["八百垧小区", "解放小区", "创业城", "杏南小区"],
            roads: &["八百垧大街", "红岗路", "解放路", "杏林路"],
            spots: &["八百垧客运站", "杏树岗农贸市场", "红岗区政府附近"],
        },
        District {
            name: "大同区",
            communities: &["庆葡小区", "大同新区", "林源小区", "高台子小区"],
            roads: &["庆葡路", "大同大街", "林源路", "新华路"],
            spots: &["大同客运站", "庆葡街道市场门口", "大同区医院门口"],
        },
    ];

    const WHEN: &[&str] = &[
        "这几天",
        "最近一周",
        "从上周开始",
        "最近半个月",
        "从本月初开始",
        "这段时间",
        "近一个月来",
    ];
    const CLOCK: &[&str] = &[
        "每天晚上10点以后",
        "半夜十二点多",
        "凌晨两三点",
        "早上五点多",
        "晚上八九点钟",
    ];
    const SCHOOLS: &[&str] = &[
        "东风小学",
        "湖滨学校",
        "景园小学",
        "第二十三中学",
        "铁人学校",
        "庆新小学",
        "龙凤第一小学",
    ];
    const COMPANIES: &[&str] = &[
        "某建筑公司",
        "一家装修公司",
        "一家物流公司",
        "一家商贸公司",
        "一家餐饮公司",
        "某保洁公司",
    ];
    const EATERIES: &[&str] = &[
        "一家麻辣烫店",
        "一家烧烤店",
        "一家饺子馆",
        "一家快餐店",
        "一家火锅店",
        "一家包子铺",
    ];
    const LINES: &[u32] = &[1, 2, 6, 11, 15, 19, 28, 31, 36, 46, 63, 101, 107, 201];

    pub(super) fn context<R: Rng + ?Sized>(rng: &mut R) -> Ctx {
        let Some(district) = DISTRICTS.choose(rng) else {
            return Ctx::default();
        };
        let community = pick(rng, district.communities);
        let road = pick(rng, district.roads);
        let mut road2 = pick(rng, district.roads);
        if road2 == road {
            road2 = district
                .roads
                .iter()
                .copied()
                .find(|r| *r != road)
                .unwrap_or(road);
        }
        let spot = pick(rng, district.spots);
        let bldg = if rng.random_bool(0.5) {
            format!("{}栋", rng.random_range(1..=36))
        } else {
            let letter = ['A', 'B', 'C', 'D', 'E', 'F']
                .choose(rng)
                .copied()
                .unwrap_or('A');
            format!("{letter}-{}栋", rng.random_range(1..=30))
        };
        let unit = format!("{}单元", rng.random_range(1..=6));
        let room = format!("{}{:02}", rng.random_range(1..=18), rng.random_range(1..=4));
        let line = format!("{}路", LINES.choose(rng).copied().unwrap_or(28));

        let mut ctx = Ctx::default();
        ctx.set("{district}", district.name.to_owned());
        ctx.set("{community}", community.to_owned());
        ctx.set("{bldg}", bldg);
        ctx.set("{unit}", unit);
        ctx.set("{room}", room);
        ctx.set("{road}", road.to_owned());
        ctx.set("{road2}", road2.to_owned());
        ctx.set("{spot}", spot.to_owned());
        ctx.set("{when}", pick_str(rng, WHEN));
        ctx.set("{clock}", pick_str(rng, CLOCK));
        ctx.set("{days}", rng.random_range(3..=20).to_string());
        ctx.set("{n}", rng.random_range(2..=8).to_string());
        ctx.set("{months}", rng.random_range(2..=6).to_string());
        ctx.set("{temp}", rng.random_range(9..=16).to_string());
        ctx.set("{line}", line);
        ctx.set("{school}", pick_str(rng, SCHOOLS));
        ctx.set("{company}", pick_str(rng, COMPANIES));
        ctx.set("{eatery}", pick_str(rng, EATERIES));
        addresses(&mut ctx);
        ctx
    }

    fn slot(ctx: &Ctx, key: &str) -> String {
        ctx.slots
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn addresses(ctx: &mut Ctx) {
        let district = slot(ctx, "{district}");
        let community = slot(ctx, "{community}");
        let bldg = slot(ctx, "{bldg}");
        let unit = slot(ctx, "{unit}");
        let room = slot(ctx, "{room}");
        let road = slot(ctx, "{road}");
        let spot = slot(ctx, "{spot}");
        ctx.home = format!("大庆市{district}{community}{bldg}{unit}{room}室");
        ctx.community = format!("大庆市{district}{community}");
        ctx.road = format!("大庆市{district}{road}");
        ctx.spot = format!("大庆市{district}{spot}");
        ctx.park = ctx.community.clone();
    }

    /// The flat from the article: 东城领秀 C-22 栋 2 单元, in 龙凤区.
    pub(super) fn article_place<R: Rng + ?Sized>(ctx: &mut Ctx, rng: &mut R) {
        ctx.set("{district}", "龙凤区".to_owned());
        ctx.set("{community}", "东城领秀".to_owned());
        ctx.set("{bldg}", "C-22栋".to_owned());
        ctx.set("{unit}", "2单元".to_owned());
        ctx.set("{road}", "卧里屯大街".to_owned());
        ctx.set("{road2}", "东光路".to_owned());
        let floor = rng.random_range(1..=6);
        ctx.set("{room}", format!("{floor}0{}", rng.random_range(1..=2)));
        addresses(ctx);
    }

    /// Mirrors the article: 网友投诉东城领秀C-22楼2单元一户暖气不热;
    /// 维修人员现场检查发现该室温控阀损坏，现已修好，恢复正常供热。
    pub(super) const ARTICLE: Variant = Variant {
        place: Place::Home,
        free: true,
        titles: &[
            "东城领秀C-22栋2单元暖气不热",
            "东城领秀C-22栋2单元一户家里暖气不热",
        ],
        texts: &[
            "东城领秀C-22栋2单元{room}室家里暖气不热，室内温度只有{temp}度左右，老人孩子受不了，请相关部门帮助解决。",
            "我家住东城领秀C-22栋2单元{room}室，入冬以来暖气一直不热，暖气片摸着只是温乎，屋里只有{temp}度，邻居家都挺热的，不知道是不是我家阀门的问题，请相关部门帮助解决。",
        ],
        answers: &[
            "该室属市热力公司供热区域，维修人员现场检查发现该室温控阀损坏，现已修好，恢复正常供热。",
            "经市热力公司技术人员上门检查，发现温控阀损坏，已更换，供热已恢复正常。感谢您的监督。",
        ],
    };

    pub(super) const LANG: Lang = Lang {
        entries: ENTRIES,
        fallback: Entry {
            code: "",
            variants: &[Variant {
                place: Place::None,
                free: true,
                titles: &[
                    "关于{district}民生问题的咨询",
                    "向有关部门反映一个问题",
                    "市民咨询建议",
                ],
                texts: &[
                    "我是{district}居民，{when}遇到一个问题，不知道该找哪个部门，打了好几个电话都说不归他们管，希望平台帮忙转给相关部门处理。",
                    "想向有关部门反映一下{community}周边的情况，{when}问题一直存在，居民意见比较大，请相关部门了解一下并给予答复。",
                    "有个问题想咨询一下，在网上查了很多资料也没有找到明确的说法，希望相关部门给一个权威的答复，谢谢。",
                    "作为一名普通市民，对{district}的城市管理提几点建议，希望政府部门能够采纳。",
                ],
                answers: &[
                    "您反映的问题已由市信访局转交相关部门办理。经核实，相关部门已与您取得联系并说明了有关情况，后续将持续跟进。",
                    "感谢您的反映。经了解，您咨询的事项属于{district}人民政府职责范围，已转交区政府办理，办理结果将及时向您反馈。",
                    "您的建议已收悉，我们已转交相关部门研究，对合理化建议将在今后的工作中认真吸纳。",
                    "经核实，您反映的情况已转交属地街道办事处，街道已会同社区进行了实地调查并制定了处理方案。",
                ],
            }],
            unhappy: &[],
        },
        unhappy: &[
            "回复避重就轻，问题根本没有解决。",
            "说是已经处理了，但现场还是老样子，请派人来实地看看。",
            "答复太笼统，全是套话，没有说明具体什么时候解决。",
            "等了这么长时间就给了这样的回复，很失望。",
            "部门之间互相推诿，希望上级部门督办。",
            "处理了几天又恢复原样了，希望建立长效机制。",
            "没有人联系过我，回复里说的情况和实际不符。",
        ],
        text_tails: &[
            "谢谢！",
            "盼复。",
            "麻烦了，谢谢！",
            "希望尽快解决。",
            "恳请有关部门重视。",
        ],
        answer_heads: &["", "", "您好！", "网友您好："],
        answer_tails: &[
            "",
            "感谢您的监督。",
            "感谢您对我们工作的理解和支持。",
            "如仍有问题，欢迎继续反映。",
        ],
        thanks: "感谢",
        thanks_text: "谢谢",
        sep: "",
        filler: "请相关部门处理。",
    };

    const ENTRIES: &[Entry] = &[
        Entry {
            code: "heating-cold",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: true,
                    titles: &[
                        "{community}{bldg}{unit}暖气不热",
                        "{district}{community}暖气不热，室温只有{temp}度",
                        "反映{community}供热不达标问题",
                        "{community}{bldg}暖气温度太低",
                    ],
                    texts: &[
                        "我家住{district}{community}{bldg}{unit}{room}室，{when}家里暖气一直不热，室内温度只有{temp}度左右，家里有老人和孩子，实在受不了。给热力公司打过电话，说会派人来看，到现在也没人来。希望尽快解决。",
                        "{community}{bldg}{unit}好几户暖气都不热，暖气片上面温乎、下面冰凉，屋里穿着棉袄还冷。室温只有{temp}度，远达不到18度的标准，取暖费我们都是按时交的，请相关部门给解决一下。",
                        "家里暖气温度只有{temp}度，老人孩子受不了，希望尽快解决。地址：{community}{bldg}{unit}{room}室。",
                        "我家住{community}{bldg}{unit}{room}室，暖气进水管热、回水管凉，放过气也没用，屋里只有{temp}度，晚上睡觉得开电暖气。请热力公司派人来查一下管道是不是堵了。",
                    ],
                    answers: &[
                        "经市热力公司技术人员上门检查，发现温控阀损坏，已更换，供热已恢复正常。感谢您的监督。",
                        "接到您的反映后，我公司维修人员于次日到现场查看，发现该户暖气片内存有空气，已进行排气处理，并对单元立管进行了冲洗，目前室温已达到19度。",
                        "经查，{community}{bldg}{unit}立管阀门开度不足，导致末端用户流量偏小。我公司已调整阀门并加大该区域循环流量，经回访，室温已达标。",
                        "我公司已对{community}换热站进行了调节，提高了二次网供水温度，同时对{bldg}进行了水力平衡调整。经入户测温，室温已达标，用户表示认可。",
                    ],
                },
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "{community}地热不热，热力公司和物业互相推诿",
                        "{community}{bldg}地暖不热",
                    ],
                    texts: &[
                        "我家是地热，入冬以来一直不热，屋里最高{temp}度。物业说是热力公司的事，热力公司说是楼内管网的问题让找物业，来回推诿，请问到底该谁管？{community}{bldg}{unit}{room}室。",
                        "{community}{bldg}{unit}{room}室，地暖分水器有的路热有的路不热，卧室只有{temp}度，孩子晚上冻得睡不着，报修{n}次了一直没人上门。",
                    ],
                    answers: &[
                        "经市住建局协调，明确入户阀门以外的管网由市热力公司负责维修，楼内公共管网由物业负责维护。热力公司已于当日上门处理，室温已达标。",
                        "经现场检查，该户地热分水器过滤网堵塞，已清洗，并对户内管道进行了冲洗，室温已恢复到18度以上。户内管网属业主自有设施，建议每年采暖期前进行清洗。",
                    ],
                },
            ],
            unhappy: &[
                "维修人员来过之后也就热了两天，现在又不热了，屋里还是{temp}度。",
                "回复说已经达标，可我家根本没人来测过温，请如实处理。",
                "问题根本没解决，老人已经冻感冒了。",
            ],
        },
        Entry {
            code: "heating-fee",
            variants: &[
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &[
                        "供热费按建筑面积收费是否合理",
                        "{community}取暖费计费面积有疑问",
                    ],
                    texts: &[
                        "我家住{community}{bldg}，房产证面积和实际使用面积差了十多平米，热力公司按建筑面积收费，阁楼和露台也算进去了，请问这样收费合理吗？",
                        "我家在{community}{bldg}，今年的供热费比去年多了好几百元，面积没变，也没听说单价调整，请问是怎么算的？",
                    ],
                    answers: &[
                        "按照我市现行供热收费办法，居民供热费按房屋产权证载明的建筑面积计收，执行市价格主管部门核定的收费标准。未计入产权面积的阁楼、露台不应计费，您可持产权证到营业厅核对。",
                        "经核查，您家供热费增加是由于系统中录入的面积有误，现已按产权证面积更正，多收部分将在下一采暖期抵扣。给您带来不便，深表歉意。",
                    ],
                },
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &[
                        "申请停供后仍被要求缴纳全额供热费",
                        "{community}{bldg}取暖费退费问题",
                    ],
                    texts: &[
                        "我家房子常年没人住，采暖期开始前已经到热力公司申请了停供，可现在又通知我要交全额供热费，说停供没有办成。当时工作人员也没说还需要什么手续，请问该怎么处理？",
                        "去年采暖期我家室温一直达不到标准，多次报修都没有彻底解决，请问按照规定能不能退还部分供热费？地址是{community}{bldg}{unit}{room}室。",
                    ],
                    answers: &[
                        "经核实，您于采暖期前提交的停供申请因缺少产权证复印件未能办结，工作人员未一次性告知所需材料，属于我公司工作失误。现已为您补办停供手续，按规定只收取基本热费。",
                        "根据我市供热管理相关规定，经供热主管部门确认室温不达标的，可按不达标天数退还相应供热费。我公司将核实您家报修记录，符合条件的将在采暖期结束后统一办理退费。",
                    ],
                },
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &["取暖费网上缴费不成功", "建议在{district}增设供热费缴费网点"],
                    texts: &[
                        "今年取暖费在网上缴费后一直没有显示缴费成功，钱已经从银行卡扣了，打客服电话总是占线，请帮忙查一下。",
                        "老人不会用手机缴费，营业厅排队要排一上午，能不能在{district}多设几个缴费点，或者委托社区代收？",
                    ],
                    answers: &[
                        "经查询，您的缴费因银行系统延迟未能及时到账，现已到账并开具电子票据，您可在我公司微信公众号中查看。",
                        "感谢您的建议。目前我公司在各区均设有营业厅，并与多家银行网点合作代收，{district}已在部分社区增设临时代收点，具体地址可到社区居委会咨询。",
                    ],
                },
            ],
            unhappy: &[
                "回复只是说按规定办，但我问的问题根本没有解答。",
                "营业厅和客服说法不一致，到底以哪个为准？",
            ],
        },
        Entry {
            code: "illegal-taxi",
            variants: &[
                Variant {
                    place: Place::Spot,
                    free: true,
                    titles: &[
                        "{spot}黑车拉客严重",
                        "{spot}私车营运扰乱秩序",
                        "{district}黑车泛滥无人管",
                    ],
                    texts: &[
                        "{spot}附近{clock}聚集了大量黑车，司机在出站口围堵乘客拉活，价格随便要，还有的拼车超载，存在很大的安全隐患，希望有关部门管一管。",
                        "{spot}周边长期有私家车非法营运，车辆乱停乱放，把路口都堵住了，正规出租车反而进不来，外地来的旅客对大庆的印象很不好。",
                    ],
                    answers: &[
                        "接到反映后，市交通运输综合行政执法支队联合交警部门在{spot}周边开展了专项整治，近期共查扣非法营运车辆{n}台，并在该区域安排执法人员定时巡查，持续保持高压态势。",
                        "感谢您的反映。我局已将{spot}列为非法营运重点整治区域，采取定点值守与流动巡查相结合的方式进行治理，欢迎市民继续监督举报。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["反映{road}出租车拒载问题", "出租车不打表、乱要价"],
                    texts: &[
                        "{clock}在{road}打车，连续几辆空车都不拉，问去哪儿，嫌近就走了。希望管理部门加强对出租车的监管。",
                        "从{spot}坐出租车到{community}，司机不打表，一口价要了四十元，平时打表也就十几块钱，请有关部门查处。",
                    ],
                    answers: &[
                        "经调查核实，涉事出租车驾驶员存在拒载行为，执法支队已依法对其作出处罚，并责令所属出租汽车公司对驾驶员进行培训教育。",
                        "您反映的出租车不打表议价问题属实，执法部门已根据车辆信息找到当事驾驶员，依法予以处罚，并记入驾驶员服务质量信誉考核。",
                    ],
                },
            ],
            unhappy: &[
                "只是说加强监管，具体怎么处理的没有说。",
                "回复说已经处罚，但那辆车现在还天天在那儿拉活。",
            ],
        },
        Entry {
            code: "property-mgmt",
            variants: &[
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &[
                        "{community}物业不作为，垃圾成堆没人管",
                        "{community}卫生脏乱差",
                    ],
                    texts: &[
                        "{community}的物业服务越来越差，{when}楼道一直没人打扫，垃圾箱满了往外溢，臭味熏人。物业费一分没少收，服务却跟不上，请主管部门督促一下。",
                        "{community}{bldg}楼道里堆满了杂物，消防通道被占，跟物业说了好几次都没人清理，存在火灾隐患。",
                    ],
                    answers: &[
                        "经市物业管理服务中心调查，该小区物业服务企业存在保洁不到位问题，已约谈企业负责人，责令限期整改。目前楼道及垃圾箱已清理完毕，我中心将持续跟踪检查。",
                        "经现场核查，楼道内堆放的杂物已由物业公司和社区组织清理，消防通道已恢复畅通。我们已要求物业公司加强日常巡查。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &[
                        "{community}{bldg}电梯频繁故障",
                        "{community}电梯坏了迟迟不修",
                    ],
                    texts: &[
                        "{community}{bldg}{unit}的电梯{when}已经坏了{n}次，有一次还把人困在里面半个小时。我们楼里有很多老人，上下楼很不方便，物业说要动用维修基金，一直拖着不修。",
                        "我们单元电梯停了{days}天了，物业贴了个通知说等配件，一直没下文。我家住高层，老人下不了楼，请相关部门帮忙协调。地址是{community}{bldg}{unit}。",
                    ],
                    answers: &[
                        "已协调物业公司按程序申请使用住宅专项维修资金，目前已完成业主表决，维修工程正在实施，预计{days}个工作日内完工。",
                        "经核实，该电梯主板故障，需更换配件。{district}住建局已督促物业公司和维保单位加快维修，电梯已于近日恢复运行，并经特种设备检验机构检验合格。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &[
                        "{community}物业费上涨未经业主同意",
                        "{community}停车管理混乱",
                    ],
                    texts: &[
                        "{community}物业今年突然通知物业费上调，没有开业主大会，也没有公示收支情况，请问物业可以单方面涨价吗？",
                        "{community}外来车辆随便进出，小区里车停得满满当当，消防通道都堵了，物业只收停车费不管理，晚上回来根本找不到地方停车。",
                    ],
                    answers: &[
                        "根据相关规定，物业服务收费标准调整应与业主协商一致，并履行公示程序。经核查，该物业公司未履行相关程序，已责令其暂停执行新标准。",
                        "经协调，物业公司已安装车辆识别道闸，对外来车辆实行登记管理，并重新规划了停车位，清理了消防通道。",
                    ],
                },
            ],
            unhappy: &[
                "物业整改就是走个形式，检查的人一走又恢复原样了。",
                "说是已经整改，可我们业主一点变化都没感觉到。",
                "回复说已经约谈，但是没有任何实际改变。",
            ],
        },
        Entry {
            code: "water-outage",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &["{community}停水没有提前通知", "{community}{bldg}经常停水"],
                    texts: &[
                        "{community}今天上午突然停水，事先没有任何通知，到现在已经停了大半天，家里做饭、上厕所都成问题，也不知道什么时候来水。",
                        "{community}{bldg}{clock}经常停水，问物业说是二次供水设备的问题，请供水公司尽快检修。",
                    ],
                    answers: &[
                        "经查，因{road}供水主管道突发爆管，我公司紧急组织抢修，造成{community}等小区临时停水。由于属于突发事故，未能提前通知，给您带来不便深表歉意。目前已恢复供水。",
                        "经核实，{community}停水系小区二次供水泵房设备故障所致，已督促物业更换水泵，目前供水已恢复正常。",
                    ],
                },
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &["{community}{bldg}自来水压力不足", "{community}高层水压低"],
                    texts: &[
                        "我家住{community}{bldg}{unit}{room}室，{when}水压特别低，热水器都打不着火，洗澡都成问题。",
                        "{community}高层住户用水高峰期基本没水，水龙头只能滴答滴答地流，做饭都要提前接好水。",
                    ],
                    answers: &[
                        "经检测，您家入户水表前过滤网堵塞，已进行清理，水压恢复正常。",
                        "经我公司技术人员现场检测，该区域市政管网压力正常，{community}高层水压低系小区二次加压设备运行不正常所致，已协调物业公司进行检修，目前水压已恢复。",
                    ],
                },
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &["{community}自来水发黄有异味", "{community}水质浑浊"],
                    texts: &[
                        "{community}{when}自来水发黄，接一盆水底下能看到沉淀，还有一股铁锈味，不敢直接喝，担心水质有问题。",
                        "{community}{bldg}早上打开水龙头流出来的都是浑水，要放好几分钟才变清，请供水公司检测一下水质。",
                    ],
                    answers: &[
                        "接到反映后，我公司立即对{community}管网末端进行了放水冲洗，并取水样送检，检测结果各项指标均符合国家生活饮用水卫生标准。水发黄系恢复供水时管壁锈垢脱落所致，建议放水几分钟后再使用。",
                        "经查，{community}供水管线使用年限较长，已列入今年老旧供水管网改造计划。改造完成前，我公司将定期对该区域管网进行冲洗。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}供水管道漏水", "{road}路边自来水往外冒"],
                    texts: &[
                        "{road}路边有自来水管道漏水，水一直往外冒，已经流了{days}天了，路面都结了冰，行人走路很危险。",
                        "{road}与{road2}交叉口的水表井一直在冒水，周边路面全是水，浪费太可惜了。",
                    ],
                    answers: &[
                        "经现场查看，{road}漏水点为供水支管接口老化，我公司已于当日组织抢修，漏点已修复，路面冰层已清除。",
                        "经查，该处漏水为水表井内阀门损坏，我公司已更换阀门，漏水问题已解决。",
                    ],
                },
            ],
            unhappy: &[
                "问题反复出现，希望彻底解决，不要每次都临时处理。",
                "回复里说的情况和我们小区的实际情况不一样。",
                "等了好几天才有人来，影响了正常生活。",
            ],
        },
        Entry {
            code: "drainage",
            variants: &[
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &[
                        "{community}下水道堵塞污水外溢",
                        "{community}{bldg}下水管道返水",
                    ],
                    texts: &[
                        "{community}{bldg}前面的下水井堵了，污水漫到路面上，臭气熏天，居民出门都得绕着走，希望排水公司尽快来疏通。",
                        "{community}{bldg}{unit}一楼{when}下水道返水，卫生间地漏往上冒污水，家里根本没法住人。",
                    ],
                    answers: &[
                        "接到反映后，市排水公司立即派出清掏车辆，对{community}周边排水管网进行了疏通，外溢污水已清理。小区内部管网属物业管理范围，已督促物业定期清掏。",
                        "经查，该楼排水立管被装修垃圾堵塞，已协调物业公司疏通，并提醒业主装修时不要向下水道倾倒杂物。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}井盖缺失存在安全隐患", "{road}井盖破损"],
                    texts: &[
                        "{road}靠近{community}的一段人行道上井盖丢了，只用几根树枝挡着，晚上根本看不清，很容易有人掉下去，请尽快处理。",
                        "{road}机动车道上有个井盖碎了，车压过去哐哐响，随时可能塌陷，请相关部门尽快更换。",
                    ],
                    answers: &[
                        "经现场核实，该井盖属排水井盖，我公司已于当日更换新井盖并加装防坠网。今后我们将加大巡查力度。",
                        "经核查，该井盖为通信管线井，权属单位为通信运营商，我公司已联系权属单位，对方已完成更换。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}与{road2}交叉口积水严重", "{road}一下雨就积水"],
                    texts: &[
                        "{road}与{road2}交叉口地势低洼，每次下雨都积水，最深的地方没过脚踝，行人和车辆通行都很困难。",
                        "{road}{when}一下雨路面就成了河，雨停了两三天水都排不出去，附近商户生意都受影响。",
                    ],
                    answers: &[
                        "经查，该路段积水主要是雨水篦子被树叶、垃圾堵塞所致，已组织清掏。同时该处已列入今年排水管网改造计划，改造后将彻底解决积水问题。",
                        "接到反映后，我公司出动抽水设备对积水进行了强排，并对周边雨水管线进行了疏通检测，目前排水已恢复顺畅。",
                    ],
                },
            ],
            unhappy: &[
                "处理完没几天又出现同样的问题，希望从根本上解决。",
                "现场还是老样子，请派人实地看看。",
            ],
        },
        Entry {
            code: "gas",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &["燃气表充值后无法使用", "{community}燃气表计量异常"],
                    texts: &[
                        "我家住{community}{bldg}，燃气卡充值后插到表里没有反应，燃气用不了，营业厅说要等人上门，已经等了{days}天了，做不了饭。",
                        "我家燃气表走字特别快，这个月用气量比平时多了一倍，家里没人常住，怀疑燃气表有问题。地址是{community}{bldg}{unit}{room}室。",
                    ],
                    answers: &[
                        "经核实，您家IC卡燃气表电池电量不足导致无法读卡，我公司维修人员已上门更换电池，燃气已恢复使用。因工单派发不及时造成等待时间较长，向您致歉。",
                        "我公司已派人对您家燃气表进行了现场检测，未发现计量异常，并帮您排查了户内管线，未发现漏点。如仍有疑问，可申请由计量检定机构进行检定。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &["燃气入户安检人员身份难辨", "{community}燃气安检时间不合理"],
                    texts: &[
                        "最近有人自称燃气公司的到{community}挨家挨户安检，推销燃气报警器和软管，价格很贵，不知道是不是燃气公司的人，请核实。",
                        "{community}燃气入户安检只在工作日白天进行，上班族根本没法在家，错过了就说我们拒绝安检要停气，希望能安排在周末。",
                    ],
                    answers: &[
                        "经核实，近期在{community}入户推销的人员并非我公司员工。我公司入户安检人员均统一着装、佩戴工作证，安检不收取任何费用，也不强制推销产品，请您提高警惕，遇到可疑人员可报警。",
                        "感谢您的建议。我公司已在{community}安排周六、周日入户安检，并在单元门口张贴通知。未能按时安检的用户可联系客服预约时间。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &["{community}楼道有燃气味", "{community}燃气管道锈蚀严重"],
                    texts: &[
                        "{community}{bldg}{unit}楼道里{when}总是能闻到燃气味，大家担心有泄漏，请燃气公司派人检查一下。",
                        "{community}是老旧小区，楼外墙上的燃气管道锈得很厉害，有的地方漆都掉光了，存在安全隐患。",
                    ],
                    answers: &[
                        "接到反映后，我公司抢修人员立即赶到现场，经检测发现{bldg}楼道立管接口处有轻微泄漏，已及时处置，目前安全。再次提醒，如闻到燃气味请立即开窗通风并拨打燃气抢修电话。",
                        "经现场勘查，该小区户外燃气管道已列入今年老旧管网改造计划，在改造完成前，我公司将加密对该小区的巡检频次，确保用气安全。",
                    ],
                },
            ],
            unhappy: &[
                "说是上门检查了，但我家一直有人，根本没人来过。",
                "处理太慢了，燃气问题关系到安全，不能这么拖。",
            ],
        },
        Entry {
            code: "road-damage",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: true,
                    titles: &["{road}路面坑洼不平", "{road}有大坑急需修补"],
                    texts: &[
                        "{road}靠近{community}的路段路面坑坑洼洼，最大的坑有一米多宽，晚上骑电动车经过很危险，已经有人在这里摔倒了。",
                        "{road}开春以后路面翻浆，出现好几个大坑，车辆经过只能绕行，早晚高峰堵得厉害，请尽快修补。",
                    ],
                    answers: &[
                        "经现场核实，您反映的{road}路面破损问题属实，市城管局已组织养护队伍对坑槽进行了修补，路面已恢复平整。",
                        "该路段已列入今年城市道路维修计划，待气温回升后将进行整体铣刨罩面，在此之前我们将对较大坑槽进行临时修补。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}人行道地砖破损", "{road}路面塌陷"],
                    texts: &[
                        "{road}人行道地砖松动破损，很多地方都翘起来了，一下雨就溅一身泥水，老人走路容易绊倒。",
                        "{road}与{road2}交叉口附近路面出现塌陷，已经有一个脸盆大小的坑，下面是空的，担心继续扩大。",
                    ],
                    answers: &[
                        "接到反映后，养护人员已对{road}破损人行道砖进行了更换，共修复人行道约{n}0平方米。",
                        "经查，路面塌陷系地下管线渗漏所致，已设置围挡警示并协调管线权属单位进行维修，维修完毕后将及时恢复路面。",
                    ],
                },
            ],
            unhappy: &[
                "修补质量太差，没几天又坏了。",
                "只修了一小段，其他破损的地方都没管。",
            ],
        },
        Entry {
            code: "streetlight",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "{road}路灯不亮",
                        "{community}门前路灯坏了",
                        "{road}一到晚上黑灯瞎火",
                    ],
                    texts: &[
                        "{road}从{community}到{road2}这一段有{n}盏路灯{when}都不亮，晚上漆黑一片，行人和车辆通行很不安全，请尽快维修。",
                        "{community}门前的路灯已经坏了{days}天了，晚上下班回家一片漆黑，附近还有学校，孩子晚自习回家家长都很担心。",
                    ],
                    answers: &[
                        "经市路灯管理处现场检修，该路段路灯不亮系地下电缆被施工挖断所致，已更换电缆，{n}盏路灯全部恢复正常照明。",
                        "接到反映后，我处维修人员已于当晚对{community}门前路灯进行了维修，更换了灯具和镇流器，路灯已恢复正常。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}路灯白天常亮", "{road}路灯杆倾斜"],
                    texts: &[
                        "{road}的路灯{when}白天也一直亮着，浪费电能，请管理部门检查一下控制设备。",
                        "{road}有一根路灯杆被车撞歪了，倾斜得很厉害，灯罩也快掉下来了，担心砸到行人。",
                    ],
                    answers: &[
                        "经检查，该路段路灯控制箱时控器故障导致白天常亮，已更换时控器，现已按规定时间开关灯。",
                        "我处已对被撞倾斜的灯杆进行了拆除更换，现已恢复照明，并已联系交警部门查找肇事车辆。",
                    ],
                },
            ],
            unhappy: &[
                "修好没两天又出问题了。",
                "回复说已经处理，可昨晚路过一看还是老样子。",
            ],
        },
        Entry {
            code: "illegal-building",
            variants: &[
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &[
                        "{community}一楼住户私自扩建",
                        "{community}{bldg}违章搭建彩钢房",
                    ],
                    texts: &[
                        "{community}{bldg}一楼住户在楼前绿地上私自扩建了一个二十多平米的房子，还砌了院墙，占用了公共绿地，影响其他居民通行。",
                        "{community}{bldg}前几天有人在楼下搭了个彩钢房，看样子是要开店，物业劝阻也不听，请城管部门依法处理。",
                    ],
                    answers: &[
                        "经{district}城管局执法人员现场勘查，该建筑未取得规划许可，属于违法建设。已依法下达限期拆除通知书，当事人已于近日自行拆除，绿地已恢复。",
                        "接到反映后，执法人员立即到现场制止了施工，并已对当事人立案调查。后续将依法依规处理，处理结果将及时向社会公开。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &["{community}楼顶违建", "{community}住户装修拆除承重墙"],
                    texts: &[
                        "{community}{bldg}顶楼住户在楼顶平台上加盖了一层房子，{when}一直在施工，楼顶防水都被破坏了，下雨天楼下住户家里漏水。",
                        "{community}{bldg}{unit}有住户装修时砸掉了承重墙，整栋楼住户都很担心安全问题，请有关部门尽快检查制止。",
                    ],
                    answers: &[
                        "经核查，楼顶加盖建筑属违法建设，执法部门已责令当事人停止施工并限期拆除，同时要求其对破坏的屋面防水进行修复。",
                        "经{district}住建局现场核实，该户装修中确有拆改承重结构的行为，已责令立即停工，并委托专业机构进行安全鉴定，由当事人按鉴定意见恢复加固。",
                    ],
                },
            ],
            unhappy: &[
                "下了通知书就不管了，违建到现在还在。",
                "处理太慢，违建一直在那儿，也没人来看。",
            ],
        },
        Entry {
            code: "street-vending",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}夜市占道经营", "{community}门口流动摊贩扎堆"],
                    texts: &[
                        "{road}每天晚上摆满了烧烤摊，桌椅一直摆到机动车道上，油烟大，垃圾遍地，附近居民出行很不方便。",
                        "{community}门口每天早上都有很多卖菜的流动摊贩，把小区出入口堵得严严实实，私家车出不去，救护车也进不来。",
                    ],
                    answers: &[
                        "经{district}城管局核实，该路段存在占道经营问题。执法人员已对摊贩进行劝导清理，并规划了临时疏导点，引导摊贩入场经营，同时安排专人早晚巡查，防止反弹。",
                        "接到反映后，执法人员已对{community}门口的流动摊贩进行了清理，并与社区共同在附近设置了便民早市，既方便群众买菜，又保障了道路通畅。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}商铺店外经营占用人行道", "{road}人行道被商户占用"],
                    texts: &[
                        "{road}两侧很多商铺把货架、桌子摆到人行道上，行人只能走到机动车道上，很危险。",
                        "{road}一家汽修店常年在人行道上修车，地上全是油污，行人没法通行。",
                    ],
                    answers: &[
                        "经查，您反映的店外经营问题属实，执法人员已责令相关商户将物品搬回店内，对拒不整改的商户依法予以处罚。",
                        "执法人员已对该汽修店进行了查处，责令其停止在人行道上作业并清理油污，后续将加强巡查。",
                    ],
                },
            ],
            unhappy: &[
                "城管白天来一趟，晚上摊子照样摆。",
                "清理了两天又恢复原样了，希望常态化管理。",
            ],
        },
        Entry {
            code: "noise",
            variants: &[
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &["{community}附近工地夜间施工扰民", "{road}工地噪音扰民"],
                    texts: &[
                        "{community}旁边的工地{clock}还在施工，打桩机、搅拌车的声音特别大，吵得根本睡不着觉，孩子第二天还要上学，希望环保部门管一管。",
                        "{road}工地{when}天天夜里施工，渣土车来回跑，噪音大不说，还有扬尘，周边居民意见很大。",
                    ],
                    answers: &[
                        "经市生态环境局执法人员现场调查，该工地未办理夜间施工许可，已责令其立即停止夜间施工，并依法立案查处。如再发现夜间施工扰民，请及时向我局反映。",
                        "经查，该项目夜间施工为混凝土连续浇筑，已办理夜间施工许可。我局已要求施工单位采取降噪措施，合理安排作业时间，并提前告知周边居民。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &[
                        "{community}楼下商铺噪音扰民",
                        "{community}广场舞音响声音太大",
                    ],
                    texts: &[
                        "{community}{bldg}楼下新开了一家KTV，{clock}还有人在唱歌，低音炮震得窗户都响，已经严重影响居民休息。",
                        "{community}广场每天晚上跳广场舞，音响开得特别大，一直跳到9点多，家里有病人需要休息，希望有关部门规范一下。",
                        "{community}{bldg}楼下饭店的排风机{clock}一直嗡嗡响，噪声很大，在屋里关着窗户都能听见。",
                    ],
                    answers: &[
                        "执法人员已对该商铺进行了现场检查和噪声监测，夜间噪声超过排放标准，已责令其整改，目前已加装隔音和减振设施并调整了营业时间。",
                        "已联系所在社区和辖区派出所，对广场舞活动进行了协调，活动组织者同意将音量调小，并在晚上8点半前结束活动。",
                    ],
                },
            ],
            unhappy: &[
                "晚上还是照样吵，根本没有改善。",
                "执法人员白天来测的，晚上才吵，根本测不出来。",
            ],
        },
        Entry {
            code: "pollution",
            variants: &[
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &["{community}楼下饭店油烟扰民", "{road}烧烤店油烟直排"],
                    texts: &[
                        "{community}{bldg}楼下的饭店油烟直接排到楼后面，楼上住户根本不能开窗，衣服上都是油烟味。",
                        "{road}一家烧烤店没有安装油烟净化设备，每天晚上烟雾缭绕，周边居民苦不堪言。",
                    ],
                    answers: &[
                        "经市生态环境局会同市场监管部门现场检查，该饭店未安装油烟净化设施，已责令其限期安装，目前净化设备已安装完毕并投入使用。",
                        "执法人员已对该烧烤店下达整改通知，要求其安装油烟净化装置并定期清洗，整改完成前不得露天烧烤。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &["{district}晚上异味严重", "{community}附近有人焚烧垃圾"],
                    texts: &[
                        "{district}{when}晚上总能闻到一股刺鼻的化工味，尤其是{clock}特别明显，不知道是哪家企业排放的，希望环保部门查一查。",
                        "{community}附近空地上经常有人焚烧垃圾和秸秆，浓烟滚滚，味道刺鼻，家里窗户都不敢开。",
                    ],
                    answers: &[
                        "接到反映后，执法人员对周边企业开展了夜间突击检查，发现一家企业废气处理设施未正常运行，已依法立案查处，并责令其立即整改。",
                        "经查，焚烧垃圾行为已被制止，现场已清理，我们已联系属地街道加强巡查，发现焚烧行为将依法处罚。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}附近有人偷排污水"],
                    texts: &[
                        "{road}边的排水沟{when}经常流出黑色的污水，气味很大，怀疑附近有企业偷排。",
                    ],
                    answers: &[
                        "执法人员已对该排水沟沿线进行了排查，找到了排污源头，系一家洗车场违规排放，已责令其停止排放并依法处罚。",
                    ],
                },
            ],
            unhappy: &[
                "执法的人来了就停，走了照样排。",
                "味道还是很大，根本没有改善。",
            ],
        },
        Entry {
            code: "food-safety",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}一家饭店卫生条件差", "在{road}饭店就餐后腹泻"],
                    texts: &[
                        "{road}上的{eatery}后厨卫生特别差，从窗户能看到地上全是油污，餐具也不消毒，还有苍蝇乱飞，希望市场监管部门去检查一下。",
                        "上周末在{road}的{eatery}吃完饭，当天晚上全家都开始拉肚子，去医院看了说是急性肠胃炎，怀疑饭菜不干净。",
                    ],
                    answers: &[
                        "经市市场监督管理局执法人员现场检查，该餐饮单位存在后厨卫生不达标、餐具未按规定消毒等问题，已责令其停业整改，整改合格后方可营业。",
                        "接到反映后，执法人员已对该饭店进行检查，并对留样食品进行了抽检。检验结果出来后将依法处理，您可持医院诊断证明依法主张赔偿。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{community}附近超市卖过期牛奶", "超市销售过期食品"],
                    texts: &[
                        "在{community}附近的一家超市买的牛奶，回家发现已经过期{n}天了，找超市理论，店员态度很差，只同意退货。",
                        "{road}一家小超市货架上好几种零食都过了保质期，还在正常销售，请相关部门检查。",
                    ],
                    answers: &[
                        "经查，该超市确实存在销售过期食品的行为，已依法没收过期食品并立案查处。根据食品安全法的规定，您可以向经营者要求赔偿。",
                        "执法人员已对该超市进行了全面检查，下架过期食品{n}种，并责令其建立进货查验和临期食品管理制度。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &["{community}有人无证制作销售熟食"],
                    texts: &[
                        "{community}{bldg}一楼住户在家里开了个小作坊，做熟食卖，没有任何证照，卫生条件也不清楚，请相关部门查一查。",
                    ],
                    answers: &[
                        "执法人员已对该住户进行了检查，其未取得食品生产经营许可，已责令停止生产经营，并没收了相关原料和工具。",
                    ],
                },
            ],
            unhappy: &[
                "处理结果没有公开，不知道到底罚没罚。",
                "只说依法处理，没说怎么处理的。",
            ],
        },
        Entry {
            code: "bus-route",
            variants: &[
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &["{line}公交车间隔时间太长", "建议{line}末班车延后"],
                    texts: &[
                        "{line}公交车发车间隔太长了，早高峰在{spot}站等了四十多分钟都没来一辆，来了也挤不上去，上班经常迟到。",
                        "{line}末班车晚上七点就没了，我们在{district}上班的经常加班，下班后只能打车回家，希望末班车能延长到晚上九点。",
                    ],
                    answers: &[
                        "经市公交集团核实，{line}因部分车辆进行年检，近期发车间隔有所延长。目前车辆已全部恢复运营，早高峰时段已加密班次，发车间隔缩短至十分钟以内。",
                        "感谢您的建议。我集团已对{line}晚间客流进行调查，经研究，自下月起{line}末班车发车时间将延长至晚上八点半。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &[
                        "{community}附近没有公交站点",
                        "建议开通{community}到{spot}的公交线路",
                    ],
                    texts: &[
                        "{community}入住了好几千户居民，附近一个公交站都没有，最近的站点要走二十多分钟，老人出行特别不方便，希望能增设站点或者调整线路。",
                        "{community}到{spot}没有直达公交，要倒两次车，单程一个多小时，希望公交集团考虑开通一条直达线路。",
                    ],
                    answers: &[
                        "经实地调研，我集团计划对途经{community}附近的线路进行优化调整，并增设停靠站点，具体方案确定后将向社会公告。",
                        "您的建议已收悉。我集团将结合客流调查情况研究开通{community}方向的社区线路，并在方案确定前征求沿线居民意见。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{line}司机不按站停车", "{line}公交车驾驶员服务态度差"],
                    texts: &[
                        "早上上班坐{line}公交，在{road}站明明有乘客招手，司机直接开过去了，不按站停车的情况不是一次两次了。",
                        "{line}公交车上有老人没站稳，司机不但不等，还大声呵斥，车上乘客都看不下去了，希望公交公司加强管理。",
                    ],
                    answers: &[
                        "经调取车载监控核实，该驾驶员确实存在不按站停车的行为，已按公司规定对其进行处罚并停岗培训。对给您带来的不便深表歉意。",
                        "经调查，该驾驶员服务态度确有问题，我集团已对其进行批评教育并扣发当月服务考核奖，同时在全线开展文明服务培训。",
                    ],
                },
            ],
            unhappy: &[
                "回复说研究研究，到现在也没有任何变化。",
                "实际情况和回复说的不一样，希望公交集团认真对待。",
            ],
        },
        Entry {
            code: "social-insurance",
            variants: &[
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &["退休人员养老金核定咨询", "养老保险关系转移接续问题"],
                    texts: &[
                        "我是今年刚退休的，上个月才拿到第一笔养老金，比预计的少了好几百元，请问养老金是怎么计算的？能不能帮忙核实一下？",
                        "我在外地工作过几年，养老保险关系一直没有转过来，现在快到退休年龄了，请问怎么办理转移接续？需要准备哪些材料？",
                    ],
                    answers: &[
                        "经市社会保险事业服务中心核实，您的基本养老金按照国家规定的计发办法核定，由基础养老金和个人账户养老金组成。您反映的差额是由于部分年份缴费基数较低所致。如有疑问，可携带身份证到社保经办窗口查询明细。",
                        "养老保险关系转移接续可通过国家社会保险公共服务平台在线申请，也可到参保地社保经办窗口办理，只需提供身份证即可，无需往返两地。",
                    ],
                },
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &["异地就医报销比例咨询", "医保报销进度太慢"],
                    texts: &[
                        "我家老人在外省看病住院，已经办理了异地就医备案，但出院结算时报销比例比在本地低很多，请问这是什么原因？",
                        "我年初把住院报销的材料交到了医保经办窗口，说一个月能办好，现在已经快三个月了还没到账，打电话问一直说在审核。",
                    ],
                    answers: &[
                        "根据国家异地就医政策，跨省异地就医执行就医地目录、参保地待遇。您家老人报销比例较低，可能与就医医院等级或所用药品不在目录内有关。我局已安排工作人员与您联系，帮助核对费用明细。",
                        "经核实，您的报销材料因缺少一份费用清单被退回补件，但工作人员未及时告知，我局已对相关人员进行批评教育。目前材料已补齐，报销款将在十个工作日内拨付到您的账户。",
                    ],
                },
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &["灵活就业人员医保缴费失败"],
                    texts: &[
                        "我是灵活就业人员，今年医保缴费在手机上一直显示缴费失败，但钱已经扣了，请问怎么处理？会不会影响看病报销？",
                    ],
                    answers: &[
                        "经查询，您的医保缴费因银行扣款后数据未能及时回传，现已完成补录，缴费状态已显示成功，不影响您享受医保待遇。",
                    ],
                },
            ],
            unhappy: &[
                "回复只是念政策，我的具体问题没人核实。",
                "打了好几次电话，每次说法都不一样。",
            ],
        },
        Entry {
            code: "wage-arrears",
            variants: &[
                Variant {
                    place: Place::None,
                    free: true,
                    titles: &["农民工工资被拖欠", "{district}某工地拖欠工人工资"],
                    texts: &[
                        "我们一共{n}个人在{district}一个住宅项目干活，从春天干到年底，包工头一直说工程款没结算，拖欠我们{months}个月的工资不给，眼看要过年了，家里等着用钱，请政府帮帮我们。",
                        "我在{district}某工地干木工活，干了{months}个月，工资一分没拿到，找项目部说找包工头，找包工头说开发商没给钱，来回推，请劳动监察部门帮忙讨薪。",
                    ],
                    answers: &[
                        "市劳动保障监察支队接到反映后，立即约谈了项目总包单位和劳务分包负责人，责令其限期支付拖欠工资。目前，{n}名工人的工资已全部足额发放到位。",
                        "经查，该项目已按规定设立农民工工资专用账户，我支队已督促总包单位从工资保证金中先行垫付拖欠工资，相关款项已于近日发放。",
                    ],
                },
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &["{company}拖欠员工工资", "离职后公司不结算工资"],
                    texts: &[
                        "我在{company}上班，公司已经连续{months}个月没有发工资了，说是资金困难，让大家再等等，我们也要吃饭还房贷，请劳动部门帮忙维权。",
                        "我从{company}离职已经{days}天了，最后一个月工资和加班费一直不给结，人事每次都说在走流程，请问该怎么办？",
                    ],
                    answers: &[
                        "经调查核实，该公司确实存在拖欠工资行为，我支队已依法下达劳动保障监察限期改正指令书，公司已承诺分两次结清欠薪，我们将跟踪督办到位。",
                        "您反映的离职工资结算问题，我支队已与公司进行沟通，公司已同意于本月底前结清工资。如公司逾期未支付，您也可以向劳动人事争议仲裁委员会申请仲裁。",
                    ],
                },
            ],
            unhappy: &[
                "只发了一部分，剩下的还是没给。",
                "说承诺结清，到现在一分钱没见到。",
            ],
        },
        Entry {
            code: "school-enrollment",
            variants: &[
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &["{community}学区划分咨询", "随迁子女入学需要哪些材料"],
                    texts: &[
                        "我家在{community}买的房子，今年孩子该上小学了，可是听说{community}划到了离家很远的学校，离家近的{school}反而不能上，请问学区是怎么划分的？",
                        "我们是外地来大庆务工的，孩子今年六周岁，户口不在本地，请问在{district}上小学需要准备哪些材料？",
                    ],
                    answers: &[
                        "市教育局按照免试就近入学原则，根据学校布局、学位数量和适龄儿童分布情况划定学区，划分方案于每年五月向社会公布。{community}的学区情况可登录教育局网站查询，也可到{district}教育部门咨询。",
                        "随迁子女在我市接受义务教育，需提供父母的居住证明、务工或经营证明以及孩子的户口簿，由{district}教育部门统筹安排到有学位的公办学校就读。",
                    ],
                },
                Variant {
                    place: Place::None,
                    free: false,
                    titles: &["{district}公办幼儿园入园难", "{school}老师动员学生校外补课"],
                    texts: &[
                        "{district}公办幼儿园太少了，报名的时候排了一夜的队还是没报上，私立幼儿园一个月要两三千，普通家庭负担不起，希望多建几所公办园。",
                        "{school}的老师{when}动员学生周末到校外机构补课，一个月收费好几百元，不参加的孩子在班里受冷落，请教育局查一查。",
                    ],
                    answers: &[
                        "感谢您的建议。近年来我市持续推进公办幼儿园建设，今年{district}将新建改建公办幼儿园{n}所，预计秋季学期投入使用，将有效缓解入园难问题。",
                        "接到反映后，市教育局立即成立调查组到该校进行调查，经查情况属实，已责令学校立即整改，对相关教师进行了严肃处理，同时将该校外培训机构移交相关部门查处。",
                    ],
                },
            ],
            unhappy: &[
                "回复只讲原则，孩子上学的实际问题还是没解决。",
                "处理结果没有公开，家长们很不放心。",
            ],
        },
        Entry {
            code: "other",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["建议在{road}附近增设公共厕所"],
                    texts: &[
                        "{road}一带商铺和市场很多，人流量大，但附近一个公共厕所都没有，老人孩子上厕所特别不方便，建议增设几座公厕。",
                    ],
                    answers: &[
                        "感谢您的建议。市环境卫生管理处已对{road}周边进行了实地勘察，计划今年在该区域新建一座公厕，在此之前已协调沿街单位厕所对外开放。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &["{community}流浪狗多存在安全隐患"],
                    texts: &[
                        "{community}里{when}流浪狗越来越多，成群结队的，晚上还狂叫，已经有孩子被追咬，居民出门都害怕。",
                    ],
                    answers: &[
                        "经协调，{district}城管部门已会同社区和动物救助机构对{community}内的流浪犬进行了集中收容，同时将加强养犬管理宣传，引导居民文明养犬。",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["{road}冬季清雪不及时"],
                    texts: &[
                        "下雪{n}天了，{road}的积雪还没清理，路面压成了冰，车辆打滑，行人摔倒的很多，希望尽快清雪。",
                    ],
                    answers: &[
                        "接到反映后，市城管局立即调派清雪机械对{road}进行了除雪作业，目前路面积雪已清理完毕。我们将进一步完善清雪预案，做到雪停路净。",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &["建议在{community}附近建设健身广场"],
                    texts: &[
                        "{community}周边居民很多，但附近没有一处健身休闲的场所，老人只能在马路边上散步，建议利用附近的空地建一个小广场，安装一些健身器材。",
                    ],
                    answers: &[
                        "您的建议已收悉。经与{district}人民政府沟通，{community}周边的空地已纳入今年的口袋公园建设计划，将配套安装健身器材和休闲座椅。",
                    ],
                },
                Variant {
                    place: Place::Spot,
                    free: false,
                    titles: &["{spot}附近停车难"],
                    texts: &[
                        "{spot}附近停车位严重不足，车辆乱停乱放，经常堵车，建议规划建设停车场或者设置临时停车位。",
                    ],
                    answers: &[
                        "感谢您的建议。市公安局交通警察支队已会同相关部门对{spot}周边进行了调查，已施划临时停车泊位{n}0余个，并对违法停车行为加强管理。",
                    ],
                },
            ],
            unhappy: &[],
        },
    ];
}

// ---------------------------------------------------------------------------------------------
// Springfield (en)
// ---------------------------------------------------------------------------------------------

mod en {
    use super::{Ctx, Entry, Lang, Place, Variant, pick, pick_str};
    use rand::Rng;

    const STREETS: &[&str] = &[
        "Evergreen Terrace",
        "Maple Ave",
        "Oak St",
        "Elm St",
        "Walnut St",
        "Cedar Ln",
        "Pine St",
        "Chestnut St",
        "Lincoln Ave",
        "Washington St",
        "Monroe St",
        "Jefferson St",
        "Lake Shore Dr",
        "Sangamon Ave",
        "Spruce St",
        "Birch Ave",
    ];
    const CROSS: &[&str] = &[
        "1st St",
        "2nd St",
        "4th St",
        "5th St",
        "7th St",
        "9th St",
        "11th St",
        "MacArthur Blvd",
        "Grand Ave",
        "Wabash Ave",
    ];
    const PARKS: &[&str] = &[
        "Washington Park",
        "Lincoln Park",
        "Bunn Park",
        "Iles Park",
        "Douglas Park",
        "Veterans Memorial Park",
        "Centennial Park",
    ];
    const WHEN: &[&str] = &[
        "for about a week",
        "since last weekend",
        "for over two weeks",
        "for several days now",
        "since early this month",
    ];
    const CLOCK: &[&str] = &[
        "after 10 pm",
        "around 5 am",
        "late at night",
        "early in the morning",
        "during the evening rush hour",
    ];
    const VEHICLES: &[&str] = &[
        "a silver Honda Civic",
        "a blue Ford pickup",
        "a white cargo van",
        "an old red Buick sedan",
        "a black Chevy Malibu",
        "a green Toyota Camry",
        "a gray minivan",
    ];
    const DAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

    pub(super) fn context<R: Rng + ?Sized>(rng: &mut R) -> Ctx {
        let street = pick(rng, STREETS);
        let cross = pick(rng, CROSS);
        let park = pick(rng, PARKS);
        let number = if street == "Evergreen Terrace" && rng.random_bool(0.3) {
            742
        } else {
            rng.random_range(100..=2999)
        };
        let addr = format!("{number} {street}");

        let mut ctx = Ctx {
            home: format!("{addr}, Springfield"),
            community: format!("{}00 block of {street}, Springfield", number / 100),
            road: format!("{street} & {cross}, Springfield"),
            spot: format!("{street} & {cross}, Springfield"),
            park: format!("{park}, Springfield"),
            ..Ctx::default()
        };
        ctx.set("{addr}", addr);
        ctx.set("{street}", street.to_owned());
        ctx.set("{cross}", cross.to_owned());
        ctx.set("{park}", park.to_owned());
        ctx.set("{when}", pick_str(rng, WHEN));
        ctx.set("{clock}", pick_str(rng, CLOCK));
        ctx.set("{days}", rng.random_range(3..=20).to_string());
        ctx.set("{n}", rng.random_range(2..=8).to_string());
        ctx.set("{route}", rng.random_range(1..=22).to_string());
        ctx.set("{pole}", format!("SL-{}", rng.random_range(10000..=99999)));
        ctx.set("{vehicle}", pick_str(rng, VEHICLES));
        ctx.set("{day}", pick_str(rng, DAYS));
        ctx
    }

    pub(super) const LANG: Lang = Lang {
        entries: ENTRIES,
        fallback: Entry {
            code: "",
            variants: &[Variant {
                place: Place::None,
                free: true,
                titles: &[
                    "General question",
                    "Question for the city",
                    "Suggestion for the city",
                ],
                texts: &[
                    "I could not find the right category for this. There is an ongoing problem near {street} and {cross} and I am not sure which department handles it. Please route it to the right office.",
                    "I have a question about city services in my neighborhood near {street}. I called twice and was transferred several times without an answer.",
                    "I would like to make a suggestion about how the city handles requests like this one. Please pass it on to the right department.",
                    "Something on {street} needs the city's attention {when}. I am not sure who is responsible, so I am filing it here.",
                ],
                answers: &[
                    "Thank you for contacting 311. Your request has been forwarded to the responsible department, which will follow up with you directly.",
                    "The 311 Citizen Service Center reviewed your request and routed it to the appropriate division. A staff member has been assigned.",
                    "Your suggestion has been shared with the department for consideration. We appreciate residents taking the time to help improve city services.",
                    "We looked into this and determined it is handled by another agency. We have passed your request along and noted it in our records.",
                ],
            }],
            unhappy: &[],
        },
        unhappy: &[
            "Nothing has changed. The problem is still there.",
            "The request was closed but nobody came out. Please send someone to actually look at it.",
            "This is the third time I have reported this. The fix did not last.",
            "The answer does not address my question at all.",
            "It took far too long to get a response.",
            "The repair was done poorly and the problem came back within a week.",
        ],
        text_tails: &[
            "Thank you.",
            "Please fix this as soon as possible.",
            "This is a safety hazard.",
            "Thanks for looking into it.",
        ],
        answer_heads: &[""],
        answer_tails: &[
            "",
            "Thank you for contacting 311.",
            "Thank you for helping us improve Springfield.",
            "If the problem returns, please submit a new request.",
        ],
        thanks: "Thank you",
        thanks_text: "Thank",
        sep: " ",
        filler: " Please review.",
    };

    const ENTRIES: &[Entry] = &[
        Entry {
            code: "pothole",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Pothole on {street} near {cross}",
                        "Several potholes on {street}",
                    ],
                    texts: &[
                        "There is a deep pothole in the eastbound lane of {street} just past {cross}. It has been there {when} and keeps getting bigger. Cars are swerving into the other lane to avoid it.",
                        "Several potholes along {street} between {cross} and the next block. One near the curb is at least four inches deep and bicyclists have to ride into traffic to get around it.",
                    ],
                    answers: &[
                        "A Streets Division crew inspected the location and filled the pothole with hot mix asphalt. If the repair fails, please submit a new request.",
                        "Crews inspected the block and repaired {n} potholes on {street}. Thank you for helping us keep Springfield streets safe.",
                    ],
                },
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Large pothole in front of {addr}",
                        "Pothole damaging cars at {addr}",
                    ],
                    texts: &[
                        "Large pothole in front of {addr}, about the size of a car tire. I hit it at night and bent a rim. It fills with water when it rains so you cannot see how deep it is.",
                        "The patch that was put on the street in front of {addr} last fall has broken apart and there is a hole again. Cars slam into it all day and the whole house shakes.",
                    ],
                    answers: &[
                        "The pothole has been repaired. If your vehicle was damaged, you may file a claim with the City Clerk's office.",
                        "Our crew placed a temporary cold patch in front of {addr}. This block of {street} is scheduled for full-depth repair during the spring paving program.",
                    ],
                },
            ],
            unhappy: &[
                "The cold patch washed out after the first rain. The hole is back.",
                "Only one pothole was filled. The rest of the block is still a mess.",
            ],
        },
        Entry {
            code: "sidewalk",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Trip hazard on sidewalk at {addr}",
                        "Missing sidewalk section at {addr}",
                    ],
                    texts: &[
                        "The sidewalk in front of {addr} has heaved up about two inches where a tree root pushed the panel. An elderly neighbor tripped on it last week.",
                        "A section of sidewalk near {addr} has been missing since utility work last month. It was never replaced and is just gravel and mud now.",
                    ],
                    answers: &[
                        "An inspector marked the panels in front of {addr} for replacement. The work has been added to the sidewalk repair list and is expected within {days} days, weather permitting.",
                        "The utility contractor responsible for the excavation has been directed to restore the sidewalk. Our inspector will verify the work is completed.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Cracked sidewalk panels on {street}",
                        "Missing curb ramp at {street} & {cross}",
                    ],
                    texts: &[
                        "Sidewalk panels on {street} between {cross} and the alley are cracked and crumbling. People with strollers and wheelchairs are using the street instead.",
                        "There is no curb ramp at the corner of {street} and {cross}. My mother uses a walker and cannot get across safely.",
                    ],
                    answers: &[
                        "We ground down the raised edges on {street} to remove the immediate trip hazard. Permanent replacement of the panels is scheduled for this construction season.",
                        "The corner of {street} and {cross} has been added to the curb ramp program. Design is underway and construction is planned for next year.",
                    ],
                },
            ],
            unhappy: &[
                "Spray paint marks are not a repair. The sidewalk is still broken.",
                "Next year is not acceptable for a hazard this serious.",
            ],
        },
        Entry {
            code: "streetlight-out",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &["Streetlight out at {addr}", "Streetlights out on {street}"],
                    texts: &[
                        "The streetlight in front of {addr} has been out {when}. The block is very dark at night and there have been car break-ins nearby. Pole tag number is {pole}.",
                        "{n} streetlights in a row are out on {street} near {cross}. It is pitch black walking home from the bus stop.",
                    ],
                    answers: &[
                        "A City Light & Power crew replaced the lamp and photocell on pole {pole}. The light is working again.",
                        "Crews found an underground cable fault feeding the lights on {street}. The cable was repaired and the lights have been restored.",
                    ],
                },
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Flickering streetlight at {addr}",
                        "Streetlight on during the day on {street}",
                    ],
                    texts: &[
                        "The light on pole {pole} near {addr} flickers on and off all night and shines into our bedroom window.",
                        "The streetlight in front of {addr} stays on all day. It has been like this {when}.",
                    ],
                    answers: &[
                        "The photocell controlling this light had failed, causing it to cycle on and off. It has been replaced.",
                        "The photocell on this light had failed, which kept it on during the day. A crew replaced it and the light now turns off at dawn.",
                    ],
                },
            ],
            unhappy: &[
                "It worked for two nights and then the problem came back.",
                "It is still dark. I drove by last night.",
            ],
        },
        Entry {
            code: "traffic-signal",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Signal stuck on red at {street} & {cross}",
                        "Traffic light out at {street} & {cross}",
                    ],
                    texts: &[
                        "The light for traffic on {street} stays red for several minutes at {cross} even when there are no cars on the cross street. Drivers are running the red out of frustration.",
                        "The traffic signal at {street} and {cross} was completely dark {clock}. No officer was there and drivers were not sure who had the right of way.",
                    ],
                    answers: &[
                        "A signal technician found a failed vehicle detector on {street}. It was replaced and the signal is now cycling normally.",
                        "The outage was caused by a power failure to the signal cabinet. Power was restored and a battery backup unit has been requested for this intersection.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Walk signal broken at {street} & {cross}",
                        "Short walk time at {street} & {cross}",
                    ],
                    texts: &[
                        "The pedestrian push button at the northeast corner of {street} and {cross} does nothing. The walk signal never comes on, so people cross against the light.",
                        "The walk signal at {street} and {cross} only gives about ten seconds to cross four lanes. Seniors from the apartments nearby cannot make it across in time.",
                    ],
                    answers: &[
                        "The pedestrian push button was replaced and tested. The walk signal is working.",
                        "Traffic Engineering reviewed the timing at {street} and {cross} and increased the pedestrian crossing time to meet current standards.",
                    ],
                },
            ],
            unhappy: &[
                "The signal is still not working right. I went through it this morning.",
                "The problem came back within days.",
            ],
        },
        Entry {
            code: "missed-trash",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Trash not picked up at {addr}",
                        "Yard waste not collected at {addr}",
                    ],
                    texts: &[
                        "Our trash was not picked up on {day}. The cart was at the curb by 6 am with the lid closed. Neighbors on both sides were collected but ours was skipped. Address is {addr}.",
                        "Yard waste bags left at the curb at {addr} on {day} were not collected. They were in paper bags as required.",
                    ],
                    answers: &[
                        "The driver reported the cart at {addr} was not at the curb when the truck passed. A crew has been sent back as a courtesy. Please have carts out by 6:00 am.",
                        "Yard waste at {addr} was collected. Reminder: yard waste must be in paper bags or a marked container, and no bag may weigh more than 50 pounds.",
                    ],
                },
                Variant {
                    place: Place::Community,
                    free: false,
                    titles: &[
                        "Missed recycling on {street}",
                        "Whole block of {street} missed",
                    ],
                    texts: &[
                        "Recycling on the {n}00 block of {street} was missed again this week. This is the second time this month.",
                        "None of the carts on {street} near {cross} were emptied on {day}. The truck never came down our street.",
                    ],
                    answers: &[
                        "Our records show the route was delayed by a truck breakdown. A crew returned the next day and collected the missed carts. We apologize for the inconvenience.",
                        "The block was missed because a parked car blocked the street. Collection was completed on the next business day, and Parking Enforcement will monitor the area on collection days.",
                    ],
                },
            ],
            unhappy: &[
                "My cart was out on time. I have a photo.",
                "Same thing happened again this week.",
            ],
        },
        Entry {
            code: "illegal-dumping",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Furniture dumped in alley behind {addr}",
                        "Paint and oil dumped behind {addr}",
                    ],
                    texts: &[
                        "Someone dumped a couch, two mattresses and several bags of trash in the alley behind {addr} over the weekend. It is blocking the alley and attracting rats.",
                        "There are open cans of paint and what looks like motor oil dumped next to the dumpsters behind {addr}. It is leaking toward the storm drain.",
                    ],
                    answers: &[
                        "A Sanitation crew removed the furniture and debris from the alley. If you see dumping in progress, please note the vehicle plate and report it.",
                        "Because the materials may be hazardous, a specially trained crew collected them and cleaned the area around the storm drain.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Tires dumped near {street} & {cross}",
                        "Construction debris dumped on {street}",
                    ],
                    texts: &[
                        "About a dozen old tires were left on the vacant lot at {street} and {cross}. They are collecting water and will breed mosquitoes.",
                        "A pickup truck dumped a load of drywall and broken concrete along {street} near {cross} {clock}. This keeps happening at this spot.",
                    ],
                    answers: &[
                        "The tires were removed and taken for recycling. Code Enforcement is reviewing whether the property owner is responsible for securing the lot.",
                        "Debris was cleared from {street}. The location has been added to the list for a surveillance camera to help identify repeat dumpers.",
                    ],
                },
            ],
            unhappy: &[
                "Half of the pile is still there.",
                "It was cleaned up and a new pile appeared two days later. Please do something about the repeat dumpers.",
            ],
        },
        Entry {
            code: "graffiti",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Graffiti on building at {addr}",
                        "Tagging on wall at {addr}",
                    ],
                    texts: &[
                        "The side wall of the building at {addr} was tagged with spray paint recently. It is large and visible from the street.",
                        "The fence and garage at {addr} have been tagged in several places. Some of it looks gang-related.",
                    ],
                    answers: &[
                        "The graffiti has been removed by the city's graffiti abatement crew. Private property owners can request free removal by signing a consent form.",
                        "Code Enforcement sent a notice to the property owner at {addr} requiring removal within {days} days. We will re-inspect after the deadline.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Graffiti on utility box at {street} & {cross}",
                        "Offensive graffiti near {street} & {cross}",
                    ],
                    texts: &[
                        "The utility box at the corner of {street} and {cross} is covered in graffiti. It gets painted over and tagged again every few weeks.",
                        "There is new graffiti on the underpass near {street} and {cross}, including some offensive words. Kids walk through here to school.",
                    ],
                    answers: &[
                        "We notified the utility company that owns the box, and they have painted over the graffiti.",
                        "Offensive graffiti is a priority. A crew removed it within 24 hours and photos were shared with the Police Department.",
                    ],
                },
            ],
            unhappy: &[
                "They painted over it in a different color. It looks worse than before.",
                "The graffiti is still there.",
            ],
        },
        Entry {
            code: "abandoned-vehicle",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Abandoned car in front of {addr}",
                        "Car with flat tires at {addr}",
                    ],
                    texts: &[
                        "There is {vehicle} parked in front of {addr} that has not moved in about {days} days. Two tires are flat and trash is piling up under it.",
                        "Someone left {vehicle} at the end of {street} near {addr}. The registration sticker expired last year and it is in the way of the snow plows.",
                    ],
                    answers: &[
                        "An officer inspected the vehicle and placed a 72-hour warning notice on it. If it is not moved, it will be towed at the owner's expense.",
                        "The vehicle was tagged and, after the notice period expired, it was towed to the city impound lot.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Junk car with no plates on {street}",
                        "Abandoned vehicle on {street}",
                    ],
                    texts: &[
                        "There is {vehicle} on {street} near {cross} with no license plates. It has been sitting there {when} and the windows are broken.",
                        "I have noticed {vehicle} parked on {street} near {cross} since before the last street sweeping. It got a ticket but is still there.",
                    ],
                    answers: &[
                        "The vehicle had been reported stolen and was recovered by the Police Department.",
                        "The officer found the vehicle is properly registered, and it was moved during the notice period. No further action is needed at this time.",
                    ],
                },
            ],
            unhappy: &[
                "The car is still there with the warning sticker on it.",
                "The owner moved it one space forward. That does not solve anything.",
            ],
        },
        Entry {
            code: "noise",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "After-hours construction noise on {street}",
                        "Early morning construction on {street}",
                    ],
                    texts: &[
                        "A construction crew at the lot on {street} near {cross} runs heavy equipment as early as 5 am, outside the permitted hours. This has happened every day {when}.",
                        "Trucks and a jackhammer at the site on {street} start well before 7 am on weekdays and work on Sundays too.",
                    ],
                    answers: &[
                        "A Code Enforcement officer visited the site and confirmed work was starting before 7 am. The contractor received a written warning; further violations will result in citations.",
                        "The contractor has been reminded of permitted construction hours and the site supervisor has agreed to keep deliveries until after 7 am.",
                    ],
                },
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Loud music from bar near {addr}",
                        "Noisy HVAC unit behind {addr}",
                    ],
                    texts: &[
                        "The bar on the corner near {addr} plays loud music until 2 am on weekends. The bass rattles our windows a block away.",
                        "A rooftop air conditioning unit behind the store at {addr} makes a loud grinding noise all night. It has been going on {when}.",
                    ],
                    answers: &[
                        "An officer measured sound levels from the bar and found they exceeded the limit at the property line. The owner has been cited and agreed to install sound dampening.",
                        "Our inspector was not able to observe the noise during two visits. If it continues, please submit a new request with the times it occurs so we can schedule an evening inspection.",
                    ],
                },
            ],
            unhappy: &[
                "The inspector came during the day. The noise is at night.",
                "It was quiet for one weekend and then right back to the same.",
            ],
        },
        Entry {
            code: "water-main-break",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Water main break on {street}",
                        "Broken fire hydrant at {street} & {cross}",
                    ],
                    texts: &[
                        "Water is gushing out of a crack in the pavement on {street} near {cross}. It is running down the gutter and starting to flood the intersection.",
                        "The fire hydrant at {street} and {cross} was knocked over by a car and water is spraying everywhere.",
                    ],
                    answers: &[
                        "Water Division crews isolated the break and repaired the main on {street}. Service was restored the same day. Residents may notice cloudy water for a few hours.",
                        "The hydrant was shut off and replaced. The driver's insurance will be billed for the repair.",
                    ],
                },
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Water bubbling up at {addr}",
                        "Low water pressure on {street}",
                    ],
                    texts: &[
                        "There is water seeping up through the street in front of {addr}. It has been wet {when} even though it has not rained.",
                        "Water pressure at {addr} and the rest of the block suddenly dropped {clock}. Several neighbors have almost no water.",
                    ],
                    answers: &[
                        "Crews located a leaking service line in front of {addr} and replaced the damaged section. The street will be patched within {days} days.",
                        "The pressure drop was caused by a valve that was partly closed during maintenance. It has been fully opened and pressure is back to normal.",
                    ],
                },
            ],
            unhappy: &[
                "The street was torn up for the repair and has not been patched.",
                "The same problem came back a week later.",
            ],
        },
        Entry {
            code: "tree-trimming",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Low branches over sidewalk at {addr}",
                        "Dead tree in parkway at {addr}",
                    ],
                    texts: &[
                        "The city tree in the parkway in front of {addr} has low branches hanging over the sidewalk. Pedestrians have to duck and a delivery truck hit them last week.",
                        "The ash tree between the sidewalk and the curb at {addr} appears to be dead. It has no leaves and bark is falling off.",
                    ],
                    answers: &[
                        "An Urban Forestry crew pruned the tree to provide clearance over the sidewalk and street.",
                        "A city arborist inspected the tree and confirmed it is dead. It has been scheduled for removal, and a replacement tree will be planted next season.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Tree blocking stop sign at {street} & {cross}",
                        "Broken limb hanging over {street}",
                    ],
                    texts: &[
                        "Branches from a street tree are blocking the stop sign on {street} at {cross}. Drivers coming from the other direction cannot see it.",
                        "A large limb broke during the storm and is hanging over {street} near {cross}. It could fall on a car or a person at any time.",
                    ],
                    answers: &[
                        "Branches blocking the stop sign were removed the same week for safety.",
                        "The hanging limb was removed as an emergency. The rest of the tree was inspected and found to be healthy.",
                    ],
                },
            ],
            unhappy: &[
                "The crew only did half the job.",
                "Nobody has come out yet.",
            ],
        },
        Entry {
            code: "park-maintenance",
            variants: &[
                Variant {
                    place: Place::Park,
                    free: false,
                    titles: &[
                        "Broken swing at {park}",
                        "Unsafe playground equipment at {park}",
                    ],
                    texts: &[
                        "One of the swings at the playground in {park} has a broken chain and the seat is hanging by one side. Little kids are still trying to use it.",
                        "The slide at {park} has a cracked panel with sharp edges. My son cut his hand on it.",
                    ],
                    answers: &[
                        "The swing was taken out of service the same day and a new chain and seat were installed. The playground was inspected and no other hazards were found.",
                        "The damaged slide panel was removed and a replacement has been ordered. The slide is closed until the new part is installed.",
                    ],
                },
                Variant {
                    place: Place::Park,
                    free: false,
                    titles: &[
                        "Restrooms locked at {park}",
                        "Overflowing trash cans at {park}",
                        "Lights out on path in {park}",
                    ],
                    texts: &[
                        "The restrooms at {park} have been locked {when}, even on weekend afternoons when there are ballgames.",
                        "The trash cans near the picnic shelter at {park} are overflowing and garbage is blowing all over the grass.",
                        "Several lights along the walking path in {park} are out. It gets dark early now and people walk there after work.",
                    ],
                    answers: &[
                        "The restrooms were closed for a plumbing repair, which has been completed. They are open daily from 7 am to dusk.",
                        "We have increased trash collection at {park} to daily during the summer season and added two more cans near the shelter.",
                        "An electrician replaced the fixtures along the walking path in {park}. All lights are working.",
                    ],
                },
            ],
            unhappy: &[
                "Nothing looks any different at the park.",
                "It took weeks to get this taken care of.",
            ],
        },
        Entry {
            code: "stray-animal",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Loose dog on {street}",
                        "Stray dogs near {park}",
                        "Aggressive dog at {street} & {cross}",
                    ],
                    texts: &[
                        "A large brown dog without a collar has been roaming {street} {when}. It chased a kid on a bike this morning.",
                        "A pack of three or four stray dogs has been hanging around {park} in the early morning. People walking there are afraid.",
                        "A dog keeps getting out of a yard near {street} and {cross} and charges at people on the sidewalk. It is never on a leash.",
                    ],
                    answers: &[
                        "An Animal Control officer located and impounded the dog. If the owner claims it, they will be cited for dog at large.",
                        "Officers patrolled the area on three mornings and captured two of the dogs. We will continue to monitor the area.",
                        "An officer visited the owner and issued a citation. The owner must repair the fence and keep the dog leashed.",
                    ],
                },
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &["Dead animal in road on {street}", "Dead deer near {addr}"],
                    texts: &[
                        "There is a dead raccoon in the middle of {street} in front of {addr}. It has been there since yesterday.",
                        "A deer was hit by a car and is lying by the curb near {addr}. It is starting to smell.",
                    ],
                    answers: &[
                        "The dead animal was removed from {street}.",
                        "Animal Control removed the carcass the same day the request was received.",
                    ],
                },
            ],
            unhappy: &[
                "The animal is still there and nobody has come out.",
                "It took four days to get a response.",
            ],
        },
        Entry {
            code: "bus-stop",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Broken bus shelter at {street} & {cross}",
                        "No schedule posted at stop on {street}",
                    ],
                    texts: &[
                        "The glass panel in the bus shelter at {street} and {cross} is shattered. There is broken glass all over the bench and the sidewalk.",
                        "The stop on {street} near {cross} has no posted schedule or route map. Riders have no idea when the next bus is coming.",
                    ],
                    answers: &[
                        "Transit maintenance cleaned up the broken glass and replaced the shelter panel.",
                        "A new schedule and route map have been posted at the stop. Real-time arrivals are also available on the transit website and by text message.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &[
                        "Route {route} buses always late",
                        "Request bench at bus stop on {street}",
                    ],
                    texts: &[
                        "Route {route} is consistently 15 to 20 minutes late {clock}. I have missed connections downtown several times this month.",
                        "The bus stop on {street} near {cross} has no bench or shelter. Many riders are older and have to stand in the rain or snow.",
                    ],
                    answers: &[
                        "We reviewed trip data for Route {route} and found delays caused by road construction. Schedule adjustments will take effect with the next service change.",
                        "The stop has been added to the list for a bench installation this year. Stops are prioritized based on ridership and rider needs.",
                    ],
                },
            ],
            unhappy: &[
                "Nothing has changed at this stop.",
                "The answer does not fix the problem riders face every day.",
            ],
        },
        Entry {
            code: "code-violation",
            variants: &[
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Tall grass and weeds at {addr}",
                        "Junk piled in yard at {addr}",
                    ],
                    texts: &[
                        "The grass at {addr} is over knee high and nobody has mowed it {when}. The house appears to be empty.",
                        "The yard at {addr} is full of old appliances, car parts and furniture. Rats have been seen near the pile.",
                    ],
                    answers: &[
                        "An inspector confirmed the violation and mailed a notice to the owner of record. If the grass is not cut within {days} days, a city contractor will mow it and bill the owner.",
                        "The owner was given {days} days to remove the junk and debris. A re-inspection is scheduled.",
                    ],
                },
                Variant {
                    place: Place::Home,
                    free: false,
                    titles: &[
                        "Vacant house open at {addr}",
                        "Work without permit at {addr}",
                    ],
                    texts: &[
                        "The vacant house at {addr} has a broken back door and open windows. People have been going in and out at night.",
                        "Someone is building an addition onto the garage at {addr}. There is no permit posted and work continues on Sundays.",
                    ],
                    answers: &[
                        "The building was inspected and found unsecured. A city contractor boarded it up and the owner has been cited.",
                        "Building and Zoning confirmed no permit had been issued. A stop-work order was posted and the owner has been instructed to apply for a permit.",
                    ],
                },
            ],
            unhappy: &[
                "The deadline passed weeks ago and nothing has been done.",
                "The owner ignored the notice and nothing happened.",
            ],
        },
        Entry {
            code: "other",
            variants: &[
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["Suggestion: more recycling bins downtown"],
                    texts: &[
                        "Downtown has plenty of trash cans but almost no recycling bins. Please consider adding them near {street} and {cross}, where there is a lot of foot traffic.",
                    ],
                    answers: &[
                        "Thank you for your suggestion. It has been forwarded to the Department of Public Works for review as part of the downtown streetscape plan.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["Question about snow plowing on {street}"],
                    texts: &[
                        "{street} still has not been plowed {n} days after the last snowfall. Is it on a plow route? Cars are getting stuck.",
                    ],
                    answers: &[
                        "{street} is a residential street and is plowed after primary and secondary routes are clear. A crew has been assigned and the street has been plowed.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["Request for speed humps on {street}"],
                    texts: &[
                        "Drivers use {street} as a shortcut to {cross} and go well over the speed limit. There are a lot of kids on this block. Could the city look at speed humps?",
                    ],
                    answers: &[
                        "Traffic Engineering will conduct a speed study on {street}. If it meets the criteria for traffic calming, you will be contacted about the neighborhood petition process.",
                    ],
                },
                Variant {
                    place: Place::Road,
                    free: false,
                    titles: &["Sidewalks not shoveled on {street}"],
                    texts: &[
                        "Several properties on {street} never shovel their sidewalks. Kids walking to school have to walk in the street.",
                    ],
                    answers: &[
                        "Code Enforcement sent courtesy notices to the properties on {street}. City ordinance requires sidewalks to be cleared within 24 hours after snow stops.",
                    ],
                },
                Variant {
                    place: Place::Park,
                    free: false,
                    titles: &["Request for crosswalk near {park}"],
                    texts: &[
                        "There is no marked crosswalk between the neighborhood and {park}. Families have to cross four lanes of traffic to reach the playground.",
                    ],
                    answers: &[
                        "Traffic Engineering will study pedestrian volumes near {park} and recommend whether a marked crosswalk and signs are warranted.",
                    ],
                },
            ],
            unhappy: &[],
        },
    ];
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    /// Category codes in tenants/daqing/categories.toml.
    const DAQING: &[&str] = &[
        "heating-cold",
        "heating-fee",
        "illegal-taxi",
        "property-mgmt",
        "water-outage",
        "drainage",
        "gas",
        "road-damage",
        "streetlight",
        "illegal-building",
        "street-vending",
        "noise",
        "pollution",
        "food-safety",
        "bus-route",
        "social-insurance",
        "wage-arrears",
        "school-enrollment",
        "other",
    ];

    /// Category codes in tenants/springfield/categories.toml.
    const SPRINGFIELD: &[&str] = &[
        "pothole",
        "sidewalk",
        "streetlight-out",
        "traffic-signal",
        "missed-trash",
        "illegal-dumping",
        "graffiti",
        "abandoned-vehicle",
        "noise",
        "water-main-break",
        "tree-trimming",
        "park-maintenance",
        "stray-animal",
        "bus-stop",
        "code-violation",
        "other",
    ];

    const ROUNDS: u64 = 300;

    fn in_range(s: &str, (min, max): (usize, usize)) -> bool {
        let n = s.chars().count();
        (min..=max).contains(&n)
    }

    fn has_cjk(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// No run of 7 or more digits: nothing that looks like a phone number.
    fn no_phone(s: &str) -> bool {
        let mut run = 0;
        for c in s.chars() {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            if run >= 7 {
                return false;
            }
        }
        true
    }

    fn check(locale: &str, code: &str, s: &Sample) {
        let ctx = format!("{locale}/{code}: {s:?}");
        assert!(in_range(&s.title, TITLE_CHARS), "title length {ctx}");
        assert!(in_range(&s.text, TEXT_CHARS), "text length {ctx}");
        assert!(in_range(&s.answer, ANSWER_CHARS), "answer length {ctx}");
        assert!(
            in_range(&s.unsatisfied_comment, COMMENT_CHARS),
            "comment length {ctx}"
        );
        for part in [&s.title, &s.text, &s.answer, &s.unsatisfied_comment] {
            assert!(
                !part.contains('{') && !part.contains('}'),
                "unfilled slot {ctx}"
            );
            assert!(!part.trim().is_empty(), "empty {ctx}");
        }
        if let Some(address) = &s.address {
            assert!(!address.contains('{'), "unfilled address {ctx}");
        }
        assert!(
            no_phone(&s.title) && no_phone(&s.text),
            "phone-like number {ctx}"
        );
    }

    #[test]
    fn every_daqing_category_has_chinese_text_within_limits() {
        for code in DAQING {
            assert!(
                zh::LANG.entries.iter().any(|e| e.code == *code),
                "no zh templates for {code}"
            );
            for seed in 0..ROUNDS {
                let mut rng = StdRng::seed_from_u64(seed);
                let s = sample("zh-CN", code, &mut rng);
                check("zh-CN", code, &s);
                assert!(has_cjk(&s.title), "{code}: {s:?}");
                assert!(has_cjk(&s.text), "{code}: {s:?}");
                assert!(has_cjk(&s.answer), "{code}: {s:?}");
                assert!(has_cjk(&s.unsatisfied_comment), "{code}: {s:?}");
                if let Some(a) = &s.address {
                    assert!(a.starts_with("大庆市"), "{code}: {a}");
                }
            }
        }
    }

    #[test]
    fn every_springfield_category_has_ascii_english_text_within_limits() {
        for code in SPRINGFIELD {
            assert!(
                en::LANG.entries.iter().any(|e| e.code == *code),
                "no en templates for {code}"
            );
            for seed in 0..ROUNDS {
                let mut rng = StdRng::seed_from_u64(seed);
                let s = sample("en", code, &mut rng);
                check("en", code, &s);
                for part in [&s.title, &s.text, &s.answer, &s.unsatisfied_comment] {
                    assert!(part.is_ascii(), "{code}: non-ASCII in {part:?}");
                }
                if let Some(a) = &s.address {
                    assert!(a.is_ascii() && a.ends_with("Springfield"), "{code}: {a}");
                }
            }
        }
    }

    #[test]
    fn every_category_has_at_least_four_of_each_template() {
        for (lang, codes) in [(&zh::LANG, DAQING), (&en::LANG, SPRINGFIELD)] {
            assert_eq!(lang.entries.len(), codes.len(), "tables and bundle differ");
            for entry in lang.entries {
                assert!(codes.contains(&entry.code), "{} not in bundle", entry.code);
                let count = |f: fn(&Variant) -> usize| entry.variants.iter().map(f).sum::<usize>();
                assert!(count(|v| v.titles.len()) >= 4, "{} titles", entry.code);
                assert!(count(|v| v.texts.len()) >= 4, "{} texts", entry.code);
                assert!(count(|v| v.answers.len()) >= 4, "{} answers", entry.code);
            }
        }
    }

    #[test]
    fn output_varies() {
        for (locale, codes) in [("zh-CN", DAQING), ("en", SPRINGFIELD)] {
            for code in codes {
                let mut rng = StdRng::seed_from_u64(7);
                let texts: std::collections::HashSet<String> = (0..40)
                    .map(|_| sample(locale, code, &mut rng).text)
                    .collect();
                assert!(
                    texts.len() >= 4,
                    "{locale}/{code}: only {} texts",
                    texts.len()
                );
            }
        }
    }

    #[test]
    fn article_case_appears_for_heating_cold() {
        let mut rng = StdRng::seed_from_u64(1);
        let found = (0..200)
            .map(|_| sample("zh-CN", "heating-cold", &mut rng))
            .find(|s| s.text.contains("东城领秀C-22栋2单元") && s.answer.contains("温控阀损坏"));
        let s = found.unwrap();
        assert!(
            s.address
                .unwrap()
                .starts_with("大庆市龙凤区东城领秀C-22栋2单元")
        );
    }

    #[test]
    fn unknown_codes_and_locales_fall_back() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..50 {
            let s = sample("zh-CN", "no-such-code", &mut rng);
            check("zh-CN", "no-such-code", &s);
            assert!(has_cjk(&s.text));
            let s = sample("zh-CN", "pothole", &mut rng);
            check("zh-CN", "pothole", &s);
            assert!(has_cjk(&s.text));
            let s = sample("en", "heating-cold", &mut rng);
            check("en", "heating-cold", &s);
            assert!(s.text.is_ascii());
            let s = sample("", "", &mut rng);
            check("", "", &s);
            assert!(s.text.is_ascii());
            let s = sample("zh", "noise", &mut rng);
            assert!(has_cjk(&s.text));
            let s = sample("en-US", "noise", &mut rng);
            assert!(s.text.is_ascii());
        }
    }

    #[test]
    fn fit_pads_and_cuts_by_chars() {
        assert_eq!(fit("短".to_owned(), (3, 10), "补"), "短补补");
        assert_eq!(fit("一二三四五六".to_owned(), (1, 4), ""), "一二三四");
        assert_eq!(fit(String::new(), (2, 5), ""), "");
    }
}
