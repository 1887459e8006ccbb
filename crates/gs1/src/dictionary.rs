//! The GS1 Barcode Syntax Dictionary (embedded from `data/`, see its SOURCE.txt): what each AI's
//! value looks like, which linters check it, and which AIs are Digital Link primary keys with
//! which qualifiers.

use std::sync::OnceLock;

const DICTIONARY: &str = include_str!("../data/gs1-syntax-dictionary.txt");

/// The character set of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// Digits.
    Numeric,
    /// GS1 AI encodable character set 82.
    Cset82,
    /// GS1 AI encodable character set 39.
    Cset39,
    /// base64url (character set 64).
    Cset64,
}

/// One component of an AI's value, e.g. `N13,csum` or `[X..17]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    /// Whether it may be left out at the end of the value.
    pub optional: bool,
    /// Allowed characters.
    pub charset: Charset,
    /// Minimum length.
    pub min: usize,
    /// Maximum length (equal to `min` for fixed-length components).
    pub max: usize,
    /// Linter names, e.g. `csum`.
    pub linters: Vec<String>,
}

/// One entry of the dictionary: an AI or a range of AIs of the same length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiEntry {
    /// First AI of the range.
    pub first: String,
    /// Last AI of the range.
    pub last: String,
    /// Whether the AI may be a Digital Link data attribute (`?` flag).
    pub data_attribute: bool,
    /// The value's components.
    pub components: Vec<Component>,
    /// When the AI is a Digital Link primary key: the alternative sequences of qualifier AIs.
    pub primary_key_qualifiers: Option<Vec<Vec<String>>>,
    /// The title, e.g. `GTIN`.
    pub title: String,
}

impl AiEntry {
    #[cfg(test)]
    fn covers(&self, ai: &str) -> bool {
        ai.len() == self.first.len() && ai >= self.first.as_str() && ai <= self.last.as_str()
    }
}

/// Every entry of the dictionary.
pub fn entries() -> &'static [AiEntry] {
    static ENTRIES: OnceLock<Vec<AiEntry>> = OnceLock::new();
    ENTRIES.get_or_init(|| DICTIONARY.lines().filter_map(parse_line).collect())
}

/// The entry for `ai`, if the AI exists.
pub fn lookup(ai: &str) -> Option<&'static AiEntry> {
    if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    // Capture looks AIs up for every identifier of every event: a table indexed by the AI's
    // digits (per length) instead of a scan of the dictionary.
    static TABLE: OnceLock<Vec<Option<u16>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = vec![None; AI_TABLE_SIZE];
        for (index, entry) in entries().iter().enumerate() {
            let (Ok(first), Ok(last)) = (entry.first.parse::<usize>(), entry.last.parse::<usize>()) else {
                continue;
            };
            if !(2..=4).contains(&entry.first.len()) || entry.first.len() != entry.last.len() {
                continue;
            }
            for number in first..=last {
                let slot = &mut table[ai_slot(entry.first.len(), number)];
                // The first entry covering an AI wins, as in a scan.
                if slot.is_none() {
                    *slot = Some(u16::try_from(index).expect("the dictionary has fewer than 65,536 entries"));
                }
            }
        }
        table
    });
    let number: usize = ai.parse().ok()?;
    table[ai_slot(ai.len(), number)].map(|index| &entries()[usize::from(index)])
}

/// Slots of the AI table: 100 two-digit, 1,000 three-digit and 10,000 four-digit AIs.
const AI_TABLE_SIZE: usize = 100 + 1_000 + 10_000;

fn ai_slot(length: usize, number: usize) -> usize {
    match length {
        2 => number,
        3 => 100 + number,
        _ => 1_100 + number,
    }
}

fn parse_line(line: &str) -> Option<AiEntry> {
    let (body, title) = match line.split_once('#') {
        Some((body, title)) => (body, title.trim()),
        None => (line, ""),
    };
    let mut tokens = body.split_whitespace().peekable();
    let ais = tokens.next()?;
    let (first, last) = ais.split_once('-').unwrap_or((ais, ais));
    let mut data_attribute = false;
    if let Some(flags) = tokens.peek() {
        if !flags.starts_with(['N', 'X', 'Y', 'Z', '[']) {
            data_attribute = flags.contains('?');
            tokens.next();
        }
    }
    let mut components = Vec::new();
    let mut primary_key_qualifiers = None;
    for token in tokens {
        if token.starts_with(['N', 'X', 'Y', 'Z', '[']) && primary_key_qualifiers.is_none() && !token.contains('=') {
            components.push(parse_component(token)?);
        } else if token == "dlpkey" {
            primary_key_qualifiers = Some(Vec::new());
        } else if let Some(alternatives) = token.strip_prefix("dlpkey=") {
            primary_key_qualifiers = Some(
                alternatives
                    .split('|')
                    .map(|sequence| sequence.split(',').map(str::to_owned).collect())
                    .collect(),
            );
        }
    }
    Some(AiEntry {
        first: first.to_owned(),
        last: last.to_owned(),
        data_attribute,
        components,
        primary_key_qualifiers,
        title: title.to_owned(),
    })
}

fn parse_component(token: &str) -> Option<Component> {
    let optional = token.starts_with('[');
    // Brackets mark optional components and may close before the linters: `[X1],hyphen`.
    let token = token.replace(['[', ']'], "");
    let mut parts = token.split(',');
    let format = parts.next()?;
    let charset = match format.chars().next()? {
        'N' => Charset::Numeric,
        'X' => Charset::Cset82,
        'Y' => Charset::Cset39,
        'Z' => Charset::Cset64,
        _ => return None,
    };
    let length = &format[1..];
    let (min, max) = match length.strip_prefix("..") {
        Some(max) => (1, max.parse().ok()?),
        None => {
            let fixed = length.parse().ok()?;
            (fixed, fixed)
        }
    };
    Some(Component {
        optional,
        charset,
        min,
        max,
        linters: parts.map(str::to_owned).collect(),
    })
}

const CSET82: &str = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
const CSET39: &str = "#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn in_charset(charset: Charset, character: char) -> bool {
    match charset {
        Charset::Numeric => character.is_ascii_digit(),
        Charset::Cset82 => CSET82.contains(character),
        Charset::Cset39 => CSET39.contains(character),
        Charset::Cset64 => character.is_ascii_alphanumeric() || "-_=".contains(character),
    }
}

/// Linters this crate applies. The others (e.g. `iso3166`, `csumalpha`, `gcppos1`, which need
/// external tables or the GS1 company prefix list) are not checked here.
pub const CHECKED_LINTERS: [&str; 16] = [
    "csum",
    "zero",
    "nonzero",
    "nozeroprefix",
    "yymmd0",
    "yymmdd",
    "yyyymmdd",
    "hh",
    "mi",
    "ss",
    "hhmi",
    "yesno",
    "pcenc",
    "hasnondigit",
    "latitude",
    "longitude",
];

/// Checks `value` against the dictionary entry of `ai`: every component's length, character set
/// and linters.
pub fn validate(ai: &str, value: &str) -> Result<(), String> {
    let entry = lookup(ai).ok_or_else(|| format!("({ai}) is not a GS1 Application Identifier"))?;
    // " GTIN" in messages; written into them only when there is a problem.
    let title = Title(&entry.title);
    if !value.is_ascii() {
        return Err(format!(
            "({ai}){title} {value:?} contains characters outside the GS1 character sets"
        ));
    }
    let mut rest = value;
    for component in &entry.components {
        if rest.is_empty() && component.optional {
            break;
        }
        if rest.len() < component.min {
            return Err(format!("({ai}){title} {value:?} is too short"));
        }
        let take = if component.min == component.max {
            component.min
        } else {
            rest.len().min(component.max)
        };
        let (part, remainder) = rest.split_at(take);
        rest = remainder;
        if let Some(bad) = part
            .chars()
            .find(|character| !in_charset(component.charset, *character))
        {
            return Err(format!(
                "({ai}){title} {value:?} contains {bad:?}, which its format does not allow"
            ));
        }
        for linter in &component.linters {
            lint(linter, part).map_err(|problem| format!("({ai}){title} {value:?}: {problem}"))?;
        }
    }
    if !rest.is_empty() {
        return Err(format!("({ai}){title} {value:?} is too long"));
    }
    Ok(())
}

/// An entry's title as messages show it: after a space, or nothing when it has none.
struct Title<'a>(&'a str);

impl std::fmt::Display for Title<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(formatter, " {}", self.0)
        }
    }
}

fn lint(linter: &str, part: &str) -> Result<(), String> {
    let digits = || part.bytes().map(|byte| byte.wrapping_sub(b'0'));
    let number = |range: std::ops::Range<usize>| part.get(range).and_then(|text| text.parse::<u32>().ok());
    let ok = match linter {
        "csum" => {
            let all: Vec<u8> = digits().collect();
            let (body, check) = all.split_at(all.len().saturating_sub(1));
            if check.first() != Some(&crate::check_digit(body)) {
                return Err(format!("check digit should be {}", crate::check_digit(body)));
            }
            true
        }
        "zero" => part == "0",
        "nonzero" => part.bytes().any(|byte| byte != b'0'),
        "nozeroprefix" => part == "0" || !part.starts_with('0'),
        "yymmd0" | "yymmdd" => {
            let day_zero_allowed = linter == "yymmd0";
            matches!((number(2..4), number(4..6)), (Some(1..=12), Some(day)) if (day_zero_allowed && day == 0) || (1..=31).contains(&day))
        }
        "yyyymmdd" => matches!((number(4..6), number(6..8)), (Some(1..=12), Some(1..=31))),
        "hh" => matches!(number(0..2), Some(0..=23)),
        "mi" | "ss" => matches!(number(0..2), Some(0..=59)),
        "hhmi" => matches!((number(0..2), number(2..4)), (Some(0..=23), Some(0..=59))),
        "yesno" => part == "0" || part == "1",
        "pcenc" => {
            let bytes = part.as_bytes();
            bytes.iter().enumerate().all(|(index, byte)| {
                *byte != b'%'
                    || (bytes
                        .get(index + 1..index + 3)
                        .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)))
            })
        }
        "hasnondigit" => part.bytes().any(|byte| !byte.is_ascii_digit()),
        "latitude" => part.parse::<u64>().is_ok_and(|value| value <= 1_800_000_000),
        "longitude" => part.parse::<u64>().is_ok_and(|value| value <= 3_600_000_000),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("fails the {linter} rule"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn the_lookup_table_finds_what_a_scan_of_the_dictionary_finds() {
        for length in 2..=4u32 {
            for number in 0..10usize.pow(length) {
                let ai = format!("{number:0width$}", width = length as usize);
                let scanned = entries().iter().find(|entry| entry.covers(&ai));
                assert_eq!(
                    lookup(&ai).map(|entry| &entry.first),
                    scanned.map(|entry| &entry.first),
                    "{ai}"
                );
            }
        }
        assert!(lookup("1").is_none() && lookup("12345").is_none() && lookup("0a").is_none());
    }

    #[test]
    fn the_dictionary_parses() {
        let lines = DICTIONARY
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .count();
        assert_eq!(entries().len(), lines, "every entry line parses");
        let gtin = lookup("01").expect("GTIN");
        assert_eq!(gtin.title, "GTIN");
        assert_eq!(
            gtin.primary_key_qualifiers,
            Some(vec![
                vec!["22".to_owned(), "10".to_owned(), "21".to_owned()],
                vec!["235".to_owned()]
            ])
        );
        assert_eq!(
            lookup("3103").map(|entry| entry.title.as_str()),
            Some("NET WEIGHT (kg)")
        );
        assert!(lookup("99999").is_none());
        assert_eq!(lookup("8003").map(|entry| entry.components.len()), Some(3));
    }

    #[test]
    fn values() {
        let cases = [
            ("01", "80614141123458"),
            ("01", "80614141123459"),
            ("01", "8061414112345"),
            ("00", "106141412345678908"),
            ("10", "LOT-2026/05"),
            ("10", "ロット"),
            ("21", "123456789012345678901"),
            ("414", "0614141123452"),
            ("8003", "00614141123452400"),
            ("8003", "10614141123452400"),
            ("17", "261399"),
            ("17", "261200"),
            ("4321", "2"),
            ("99", "anything goes"),
            ("98", "but not ~"),
        ];
        let lines: Vec<String> = cases
            .iter()
            .map(|(ai, value)| {
                format!(
                    "({ai}) {value}: {}",
                    validate(ai, value).err().unwrap_or_else(|| "ok".to_owned())
                )
            })
            .collect();
        expect![[r#"
            (01) 80614141123458: ok
            (01) 80614141123459: (01) GTIN "80614141123459": check digit should be 8
            (01) 8061414112345: (01) GTIN "8061414112345" is too short
            (00) 106141412345678908: ok
            (10) LOT-2026/05: ok
            (10) ロット: (10) BATCH/LOT "ロット" contains characters outside the GS1 character sets
            (21) 123456789012345678901: (21) SERIAL "123456789012345678901" is too long
            (414) 0614141123452: ok
            (8003) 00614141123452400: ok
            (8003) 10614141123452400: (8003) GRAI "10614141123452400": fails the zero rule
            (17) 261399: (17) USE BY or EXPIRY "261399": fails the yymmd0 rule
            (17) 261200: ok
            (4321) 2: (4321) DANGEROUS GOODS "2": fails the yesno rule
            (99) anything goes: (99) INTERNAL "anything goes" contains ' ', which its format does not allow
            (98) but not ~: (98) INTERNAL "but not ~" contains ' ', which its format does not allow"#]]
        .assert_eq(&lines.join("\n"));
    }
}
