//! The web application's languages (Japanese by default, English on request): how a request's
//! language is chosen, labels of domain values in both languages, and numbers, dates and fiscal
//! years written the way each language writes them. Fixed texts of the pages are `(ja, en)`
//! pairs picked with [`Language::pick`]; sentences with values are whole sentences per language
//! (see `text.rs`), never fragments put together.

use rust_decimal::Decimal;
use serde_json::Value;
use time::{Date, OffsetDateTime, UtcOffset};

use junkan_model::access::{AccessLevel, GrantLevel, RecordKind};
use junkan_model::facility::Visibility;
use junkan_model::organization::CycleRole;
use junkan_model::passport::Granularity;

pub use crate::resolver::Language;

/// A fixed text in Japanese and English.
pub type Text = (&'static str, &'static str);

/// The cookie that remembers the language a browser chose (also for signed-out visitors).
pub const LANGUAGE_COOKIE: &str = "junkan_lang";

/// Japan Standard Time, in which the pages show times (the platform's users are in Japan; the
/// zone is written next to every time).
const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// The language named by a tag (`ja`, `en`), if it is one of ours.
pub fn language_of_tag(tag: &str) -> Option<Language> {
    match tag {
        "ja" => Some(Language::Ja),
        "en" => Some(Language::En),
        _ => None,
    }
}

/// The other language: the one the switch offers.
pub fn other(language: Language) -> Language {
    match language {
        Language::Ja => Language::En,
        Language::En => Language::Ja,
    }
}

/// A language's name, written in that language (as a switch shows it).
pub fn own_name(language: Language) -> &'static str {
    match language {
        Language::Ja => "日本語",
        Language::En => "English",
    }
}

/// The language of a web request: the signed-in user's preference, else the browser's remembered
/// choice (cookie), else `Accept-Language`, else Japanese.
pub fn choose(user_locale: Option<&str>, cookie: Option<&str>, accept_language: Option<&str>) -> Language {
    user_locale
        .and_then(language_of_tag)
        .or_else(|| cookie.and_then(language_of_tag))
        .unwrap_or_else(|| Language::choose(None, accept_language).unwrap_or(Language::Ja))
}

/// Digits of a whole number grouped by thousands (both languages write `12,345`).
fn group_digits(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// A decimal number as written in text (`-1234.5`) with its integer part grouped; anything that
/// is not such a number is returned as it is. Exact: no rounding, no float conversion.
pub fn number_text(text: &str) -> String {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (integer, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if integer.is_empty()
        || !integer.bytes().all(|byte| byte.is_ascii_digit())
        || !fraction.bytes().all(|byte| byte.is_ascii_digit())
    {
        return text.to_owned();
    }
    if fraction.is_empty() {
        format!("{sign}{}", group_digits(integer))
    } else {
        format!("{sign}{}.{fraction}", group_digits(integer))
    }
}

/// A decimal, normalised (no trailing zeros) and grouped.
pub fn decimal(value: &Decimal) -> String {
    number_text(&value.normalize().to_string())
}

/// A decimal rounded to `places` for display (the exact value is shown beside it where it
/// matters, e.g. in the provenance tables).
pub fn rounded(value: &Decimal, places: u32) -> String {
    decimal(&value.round_dp(places))
}

/// A count of things.
pub fn count(value: u64) -> String {
    group_digits(&value.to_string())
}

/// A JSON value of a result (a number, a decimal string, or null) as text; `—` for null.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::Number(number) => number_text(&number.to_string()),
        Value::String(text) => number_text(text),
        Value::Bool(flag) => flag.to_string(),
        other => other.to_string(),
    }
}

/// A moment, in Japan Standard Time: `2026年3月5日 14:03 JST` / `5 Mar 2026, 14:03 JST`.
pub fn date_time(language: Language, moment: OffsetDateTime) -> String {
    let local = moment.to_offset(JST);
    match language {
        Language::Ja => format!(
            "{}年{}月{}日 {:02}:{:02} JST",
            local.year(),
            u8::from(local.month()),
            local.day(),
            local.hour(),
            local.minute()
        ),
        Language::En => format!(
            "{} {} {}, {:02}:{:02} JST",
            local.day(),
            month_abbreviation(local.month()),
            local.year(),
            local.hour(),
            local.minute()
        ),
    }
}

/// A calendar day: `2026年3月5日` / `5 Mar 2026`.
pub fn date(language: Language, day: Date) -> String {
    match language {
        Language::Ja => format!("{}年{}月{}日", day.year(), u8::from(day.month()), day.day()),
        Language::En => format!("{} {} {}", day.day(), month_abbreviation(day.month()), day.year()),
    }
}

fn month_abbreviation(month: time::Month) -> &'static str {
    use time::Month::*;
    match month {
        January => "Jan",
        February => "Feb",
        March => "Mar",
        April => "Apr",
        May => "May",
        June => "Jun",
        July => "Jul",
        August => "Aug",
        September => "Sep",
        October => "Oct",
        November => "Nov",
        December => "Dec",
    }
}

/// A Japanese fiscal year (April to March): `2019年度` / `FY2019`.
pub fn fiscal_year(language: Language, year: i64) -> String {
    match language {
        Language::Ja => format!("{year}年度"),
        Language::En => format!("FY{year}"),
    }
}

/// How much of a record a grant opens.
pub fn grant_level(level: GrantLevel) -> Text {
    match level {
        GrantLevel::LegitimateInterest => ("正当な利益を有する者の範囲", "legitimate interest"),
        GrantLevel::Full => ("全項目", "full"),
    }
}

/// The level a reader sees a passport at.
pub fn access_level(level: AccessLevel) -> Text {
    match level {
        AccessLevel::Public => ("一般公開", "public"),
        AccessLevel::LegitimateInterest => ("正当な利益を有する者", "legitimate interest"),
        AccessLevel::Authority => ("当局", "authority"),
        AccessLevel::Owner => ("所有者", "owner"),
    }
}

/// Who may read a record besides its owner.
pub fn visibility(visibility: Visibility) -> Text {
    match visibility {
        Visibility::Public => ("公開", "public"),
        Visibility::Restricted => ("限定", "restricted"),
    }
}

/// What a passport describes.
pub fn granularity(granularity: Granularity) -> Text {
    match granularity {
        Granularity::Model => ("製品モデル", "product model"),
        Granularity::Batch => ("ロット", "batch"),
        Granularity::Item => ("個体", "item"),
    }
}

/// A role in the cycle (動脈・静脈の役割).
pub fn cycle_role(role: CycleRole) -> Text {
    match role {
        CycleRole::Manufacturer => ("製造事業者", "manufacturer"),
        CycleRole::Distributor => ("販売事業者", "distributor"),
        CycleRole::User => ("利用者", "user"),
        CycleRole::Collector => ("回収事業者", "collector"),
        CycleRole::DismantlerSorter => ("解体・選別事業者", "dismantler / sorter"),
        CycleRole::Recycler => ("リサイクル事業者", "recycler"),
        CycleRole::RecycledMaterialProducer => ("再生材製造事業者", "recycled material producer"),
        CycleRole::Certifier => ("認証機関", "certifier"),
    }
}

/// A kind of record, as grants name them.
pub fn record_kind(kind: RecordKind) -> Text {
    match kind {
        RecordKind::Facility => ("事業所", "facilities"),
        RecordKind::Event => ("トレーサビリティイベント", "traceability events"),
        RecordKind::Passport => ("製品・素材パスポート", "product and material passports"),
        RecordKind::Footprint => ("カーボンフットプリント", "carbon footprints"),
        RecordKind::MaterialFlow => ("物質フロー", "material flows"),
        RecordKind::IndicatorValue => ("指標値", "indicator values"),
        RecordKind::IndicatorTarget => ("目標値", "indicator targets"),
        RecordKind::Ledger => ("CoC台帳", "chain-of-custody ledgers"),
        RecordKind::PartnerMembership => ("CPs会員", "Circular Partners memberships"),
        RecordKind::PartnerTarget => ("CPs目標", "Circular Partners targets"),
        RecordKind::PartnerFollowUp => ("フォローアップ", "follow-ups"),
        RecordKind::PartnerSecretariat => ("CPs事務局", "Circular Partners secretariat"),
        RecordKind::Certificate => ("適合性証明", "conformity certificate"),
        RecordKind::CertificateScheme => ("認証制度", "certification scheme"),
        RecordKind::SigningKey => ("署名鍵", "signing key"),
        RecordKind::Credential => ("検証可能なクレデンシャル", "verifiable credential"),
        RecordKind::AccessRequest => ("アクセス申請", "access requests"),
        RecordKind::DatasetOffer => ("データセットの提供", "dataset offers"),
        RecordKind::DspNegotiation => ("契約交渉", "contract negotiations"),
        RecordKind::DspTransfer => ("データ転送", "transfer processes"),
        RecordKind::Peer => ("連携ノード", "peer nodes"),
        RecordKind::RemoteRequest => ("他ノードへのアクセス申請", "requests to peer nodes"),
        RecordKind::ReceivedRecord => ("受信したレコード", "received records"),
        RecordKind::OuranosPart => ("部品（ウラノス）", "parts (Ouranos)"),
        RecordKind::OuranosTrade => ("取引（ウラノス）", "trades (Ouranos)"),
        _ => ("その他の記録", "other records"),
    }
}

/// The terms of the indicator library's formulas and their Japanese names (循環型社会形成推進
/// 基本計画の物質フロー指標), longest first so that a term inside a longer one is not replaced
/// first.
const FORMULA_TERMS: [(&str, &str); 12] = [
    ("inlet-side circular use rate", "入口側循環利用率"),
    ("outlet-side circular use rate", "出口側循環利用率"),
    ("natural resource input", "天然資源等投入量"),
    ("resource productivity", "資源生産性"),
    ("waste generation", "廃棄物等発生量"),
    ("final disposal", "最終処分量"),
    ("natural return", "自然還元量"),
    ("circular use", "循環利用量"),
    ("balance gap", "物質収支の差"),
    ("reduction", "減量化量"),
    ("real GDP", "実質GDP"),
    ("; ", "；"),
];

/// A formula of the indicator library (`circular use / (circular use + natural resource
/// input)`) in the page's language: on Japanese pages its terms are the Japanese names of the
/// material-flow indicators; a term the list does not know stays as written.
pub fn formula(language: Language, formula: &str) -> String {
    match language {
        Language::En => formula.to_owned(),
        Language::Ja => FORMULA_TERMS
            .iter()
            .fold(formula.to_owned(), |text, (english, japanese)| {
                text.replace(english, japanese)
            }),
    }
}

/// The sources the indicator library itself names (the national plans), in the page's
/// language; other sources (from records) are shown as given.
pub fn library_source(language: Language, source: &str) -> String {
    let japanese = match source {
        "4th Fundamental Plan for Establishing a Sound Material-Cycle Society (2018)" => {
            "第四次循環型社会形成推進基本計画（2018年）"
        }
        "5th Fundamental Plan for Establishing a Sound Material-Cycle Society (2024)" => {
            "第五次循環型社会形成推進基本計画（2024年）"
        }
        "Ministry of the Environment, Fundamental Plan for Establishing a Sound Material-Cycle Society and its progress reviews (material-flow indicators)" => {
            "環境省「循環型社会形成推進基本計画」及びその点検報告（物質フロー指標）"
        }
        "Fundamental Plan for Establishing a Sound Material-Cycle Society, material-flow indicators (4th plan 2018, 5th plan 2024 definitions)" => {
            "循環型社会形成推進基本計画の物質フロー指標（第四次 2018年・第五次 2024年の定義）"
        }
        _ => return source.to_owned(),
    };
    match language {
        Language::Ja => japanese.to_owned(),
        Language::En => source.to_owned(),
    }
}

/// A PACT declared unit (宣言単位).
pub fn declared_unit(unit: junkan_footprint::model::DeclaredUnit) -> Text {
    use junkan_footprint::model::DeclaredUnit;
    match unit {
        DeclaredUnit::Liter => ("リットル", "liter"),
        DeclaredUnit::Kilogram => ("キログラム", "kilogram"),
        DeclaredUnit::CubicMeter => ("立方メートル", "cubic meter"),
        DeclaredUnit::KilowattHour => ("キロワット時", "kilowatt hour"),
        DeclaredUnit::Megajoule => ("メガジュール", "megajoule"),
        DeclaredUnit::TonKilometer => ("トンキロ", "ton kilometer"),
        DeclaredUnit::SquareMeter => ("平方メートル", "square meter"),
        DeclaredUnit::Piece => ("個", "piece"),
        DeclaredUnit::Hour => ("時間", "hour"),
        DeclaredUnit::MegabitSecond => ("メガビット秒", "megabit second"),
    }
}

/// An EPCIS event type.
pub fn event_type(name: &str) -> Text {
    match name {
        "ObjectEvent" => ("オブジェクトイベント", "object event"),
        "AggregationEvent" => ("集約イベント", "aggregation event"),
        "TransformationEvent" => ("変換イベント", "transformation event"),
        "TransactionEvent" => ("取引イベント", "transaction event"),
        "AssociationEvent" => ("関連付けイベント", "association event"),
        _ => ("イベント", "event"),
    }
}

/// A business step (CBV 2.0 or the junkan circular vocabulary), or `None` when unknown.
pub fn business_step(iri: &str) -> Option<(String, String)> {
    if let Some(term) = junkan_epcis::vocabulary::term(iri) {
        return Some((term.label_ja.clone(), term.label_en.clone()));
    }
    let name = iri.rsplit(['/', ':']).next()?.trim_start_matches("BizStep-");
    let (ja, en) = match name {
        "commissioning" => ("製造・登録", "commissioning"),
        "packing" => ("梱包・組込み", "packing"),
        "assembling" => ("組立", "assembling"),
        "shipping" => ("出荷", "shipping"),
        "receiving" => ("入荷", "receiving"),
        "retail_selling" => ("販売", "retail selling"),
        "collecting" => ("回収", "collecting"),
        "disassembling" => ("解体", "disassembling"),
        "inspecting" => ("検査", "inspecting"),
        "destroying" => ("廃棄", "destroying"),
        "transporting" => ("輸送", "transporting"),
        _ => return None,
    };
    Some((ja.to_owned(), en.to_owned()))
}

/// A business step's label in `language`, or the step as given when it is not known.
pub fn business_step_label(language: Language, iri: &str) -> String {
    match (language, business_step(iri)) {
        (Language::Ja, Some((ja, _))) => ja,
        (Language::En, Some((_, en))) => en,
        (_, None) => iri.to_owned(),
    }
}

/// The label of an output of a stored-data indicator, with the Japanese domain term kept next to
/// the English one (入口側循環利用率 / inlet-side circular use rate).
pub fn indicator_output(output: &str) -> Text {
    match output {
        "resource_productivity_man_yen_per_t" => ("資源生産性", "resource productivity"),
        "inlet_circular_use_rate_pct" => ("入口側循環利用率", "inlet-side circular use rate"),
        "outlet_circular_use_rate_pct" => ("出口側循環利用率", "outlet-side circular use rate"),
        "final_disposal_mt" => ("最終処分量", "final disposal"),
        "balance_gap_mt" => ("物質収支の差", "balance gap"),
        "natural_resource_input_per_capita_t" => ("一人当たり天然資源等投入量", "natural resource input per capita"),
        "final_disposal_per_capita_t" => ("一人当たり最終処分量", "final disposal per capita"),
        "waste_generation_per_capita_t" => ("一人当たり廃棄物等発生量", "waste generation per capita"),
        "recycling_rate_pct" => ("リサイクル率", "recycling rate"),
        "U" => ("循環利用量", "circular use of materials"),
        "CMU_pct" => ("循環資源利用率（CMU）", "circular material use rate (CMU)"),
        "recycled_content_pct" => ("再生材含有率", "recycled content"),
        "pre_consumer_pct" => ("プレコンシューマ材の割合", "pre-consumer share"),
        "post_consumer_pct" => ("ポストコンシューマ材の割合", "post-consumer share"),
        _ => ("", ""),
    }
}

/// An output's label as shown: the label in the page's language with the Japanese term beside
/// the English one, or the output's own name when it has no label.
pub fn output_label(language: Language, output: &str) -> String {
    match (language, indicator_output(output)) {
        (_, ("", _)) => output.to_owned(),
        (Language::Ja, (ja, _)) => ja.to_owned(),
        (Language::En, (ja, en)) => format!("{en} ({ja})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn numbers_are_grouped_exactly() {
        assert_eq!(number_text("1912"), "1,912");
        assert_eq!(number_text("-1234567.890"), "-1,234,567.890");
        assert_eq!(number_text("15.7"), "15.7");
        assert_eq!(number_text("100"), "100");
        assert_eq!(number_text("abc"), "abc");
        assert_eq!(number_text("1e5"), "1e5");
        assert_eq!(decimal(&Decimal::new(1_234_500, 2)), "12,345");
        assert_eq!(rounded(&"10.234741784".parse().expect("decimal"), 1), "10.2");
        assert_eq!(value_text(&Value::Null), "—");
        assert_eq!(value_text(&serde_json::json!(4449.3)), "4,449.3");
    }

    #[test]
    fn dates_are_written_in_japan_time_per_language() {
        let moment = datetime!(2026-03-05 05:03 UTC);
        assert_eq!(date_time(Language::Ja, moment), "2026年3月5日 14:03 JST");
        assert_eq!(date_time(Language::En, moment), "5 Mar 2026, 14:03 JST");
        assert_eq!(date(Language::Ja, moment.date()), "2026年3月5日");
        assert_eq!(fiscal_year(Language::Ja, 2019), "2019年度");
        assert_eq!(fiscal_year(Language::En, 2019), "FY2019");
    }

    #[test]
    fn the_user_s_preference_wins_then_the_cookie_then_the_browser() {
        assert_eq!(choose(Some("en"), Some("ja"), Some("ja")), Language::En);
        assert_eq!(choose(None, Some("en"), Some("ja")), Language::En);
        assert_eq!(choose(None, None, Some("en-GB,en;q=0.9")), Language::En);
        assert_eq!(choose(None, Some("xx"), None), Language::Ja);
        assert_eq!(choose(None, None, None), Language::Ja);
    }

    #[test]
    fn english_output_labels_keep_the_japanese_term() {
        assert_eq!(
            output_label(Language::En, "inlet_circular_use_rate_pct"),
            "inlet-side circular use rate (入口側循環利用率)"
        );
        assert_eq!(
            output_label(Language::Ja, "inlet_circular_use_rate_pct"),
            "入口側循環利用率"
        );
        assert_eq!(output_label(Language::En, "unknown_output"), "unknown_output");
    }
}

/// A validation message of the store or the model (always English, as the API gives it) in the
/// page's language: common rules in a Japanese sentence of their own, anything else with a
/// Japanese lead before the precise English text, so that no problem is shown in English only
/// on a Japanese page. English pages show the message as given.
pub fn problem_message(language: Language, message: &str) -> String {
    if language == Language::En {
        return message.to_owned();
    }
    let number_after = |marker: &str| {
        message
            .split_once(marker)
            .map(|(_, rest)| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .filter(|digits| !digits.is_empty())
    };
    let japanese = if message == "must not be blank" {
        Some("入力してください。".to_owned())
    } else if message.starts_with("must be at most") && message.contains("characters") {
        number_after("at most ").map(|limit| format!("{limit} 文字以内で入力してください。"))
    } else if message.starts_with("must be at least") && message.contains("characters") {
        number_after("at least ").map(|limit| format!("{limit} 文字以上で入力してください。"))
    } else if message == "must not contain control characters" {
        Some("制御文字は使えません。".to_owned())
    } else if message == "must be in the future" {
        Some("未来の日時を指定してください。".to_owned())
    } else if message.starts_with("must not be in the future") {
        Some("未来の日付は指定できません。".to_owned())
    } else if message.starts_with("must be an http") || message.starts_with("must be an absolute URL") {
        Some("http:// または https:// で始まる URL を入力してください。".to_owned())
    } else if message.starts_with("must be a number") {
        Some("数値で入力してください。".to_owned())
    } else if message.starts_with("must be a year") {
        Some("年を西暦で入力してください。".to_owned())
    } else if message.starts_with("must be a percentage") {
        Some("0〜100 の百分率で入力してください。".to_owned())
    } else if message.starts_with("must be one of") {
        Some("選択肢から選んでください。".to_owned())
    } else if message == "is required" || message.ends_with("is required") {
        Some("入力が必要です。".to_owned())
    } else {
        None
    };
    match japanese {
        Some(sentence) => sentence,
        None => format!("入力を確認してください（{message}）。"),
    }
}

#[cfg(test)]
mod formula_tests {
    use super::{formula, library_source, Language};

    #[test]
    fn formulas_and_the_national_plans_read_in_japanese_on_japanese_pages() {
        assert_eq!(
            formula(Language::Ja, "circular use / (circular use + natural resource input)"),
            "循環利用量 / (循環利用量 + 天然資源等投入量)"
        );
        assert_eq!(
            formula(
                Language::Ja,
                "inlet-side circular use rate = circular use / waste generation"
            ),
            "入口側循環利用率 = 循環利用量 / 廃棄物等発生量"
        );
        assert_eq!(
            formula(Language::En, "circular use / waste generation"),
            "circular use / waste generation"
        );
        assert_eq!(
            library_source(
                Language::Ja,
                "5th Fundamental Plan for Establishing a Sound Material-Cycle Society (2024)"
            ),
            "第五次循環型社会形成推進基本計画（2024年）"
        );
        assert_eq!(library_source(Language::Ja, "METI survey 2023"), "METI survey 2023");
    }
}

#[cfg(test)]
mod problem_message_tests {
    use super::{problem_message, Language};

    #[test]
    fn japanese_pages_never_show_a_problem_in_english_only() {
        for (message, expected) in [
            ("must not be blank", "入力してください。"),
            (
                "must be at most 200 characters, got 250",
                "200 文字以内で入力してください。",
            ),
            (
                "must be at least 12 characters, got 5",
                "12 文字以上で入力してください。",
            ),
            ("must be in the future", "未来の日時を指定してください。"),
            (
                "must be an http:// or https:// URL",
                "http:// または https:// で始まる URL を入力してください。",
            ),
            (
                "wrong in some new way",
                "入力を確認してください（wrong in some new way）。",
            ),
        ] {
            assert_eq!(problem_message(Language::Ja, message), expected, "{message}");
            assert_eq!(problem_message(Language::En, message), message);
        }
    }
}
