//! Targets from a CSV file (目標の一括取込), one target per row, in the member's submission format.
//! The whole file is checked first: every problem of every row is reported by its line number
//! (`/rows/<line>/<column>`, the header being line 1) and then nothing is imported.

use rust_decimal::Decimal;
use time::Date;

use junkan_model::{Violation, Violations};

use crate::targets::{LinkedIndicator, Project, Quantitative, TargetSubmission};
use crate::{iso_date, SubmissionFormat, TargetCategory};

/// The columns of the file, in order (a file may leave out trailing optional columns of the
/// other format, but its header must name each column it has, in this order).
pub const COLUMNS: [&str; 17] = [
    "categories",
    "content",
    "indicator",
    "scope",
    "baseline_year",
    "baseline_value",
    "target_value",
    "unit",
    "target_year",
    "publication_url",
    "project_title",
    "start_date",
    "end_date",
    "end_date_planned",
    "linked_indicator",
    "linked_output",
    "linked_scope",
];

/// The most rows a file may hold.
pub const MAX_ROWS: usize = 1000;

/// Reads the targets of `text` for a member of `format` on `today`: every target, or every
/// problem of the file.
pub fn read_targets(
    text: &str,
    format: SubmissionFormat,
    today: Date,
) -> Result<Vec<TargetSubmission>, Vec<Violation>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let mut violations = Violations::new();
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(|name| name.trim().to_owned()).collect(),
        Err(error) => {
            return Err(vec![Violation::new(
                "/rows/1",
                format!("the header cannot be read: {error}"),
            )])
        }
    };
    let known = header.len() <= COLUMNS.len() && header.iter().zip(COLUMNS).all(|(given, expected)| given == expected);
    if !known || header.len() < 10 {
        return Err(vec![Violation::new(
            "/rows/1",
            format!(
                "the header must name the columns {} in this order (project_title to linked_scope may be left out), got {}",
                COLUMNS.join(","),
                header.join(",")
            ),
        )]);
    }
    let mut targets = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(line as u64, |position| position.line());
                violations.push(format!("/rows/{line}"), format!("the row cannot be read: {error}"));
                continue;
            }
        };
        let line = record.position().map_or(line as u64, |position| position.line());
        if index >= MAX_ROWS {
            violations.push(
                format!("/rows/{line}"),
                format!("a file holds at most {MAX_ROWS} targets"),
            );
            break;
        }
        if record.len() != header.len() {
            violations.push(
                format!("/rows/{line}"),
                format!("has {} fields, the header {}", record.len(), header.len()),
            );
            continue;
        }
        let row = Row::new(header.iter().map(String::as_str).zip(record.iter()).collect());
        let before = violations.len();
        let target = row_target(&mut violations, &format!("/rows/{line}"), &row);
        if violations.len() == before {
            target.check_into(&mut violations, &format!("/rows/{line}"), format, today);
        }
        targets.push(target);
    }
    if targets.is_empty() && violations.is_empty() {
        violations.push("/rows", "the file holds no targets");
    }
    violations.into_result().map(|()| targets)
}

/// The named cells of one row (a CSV record under its header, or a web form's fields).
pub struct Row<'a> {
    cells: Vec<(&'a str, &'a str)>,
}

impl<'a> Row<'a> {
    /// A row of `(column, value)` pairs; the first non-empty value of a column counts.
    pub fn new(cells: Vec<(&'a str, &'a str)>) -> Row<'a> {
        Row { cells }
    }

    /// The cell of column `name`, trimmed; `None` when empty or absent.
    fn cell(&self, name: &str) -> Option<&'a str> {
        self.cells
            .iter()
            .filter(|(column, _)| *column == name)
            .map(|(_, value)| value.trim())
            .find(|value| !value.is_empty())
    }
}

/// The target of a web form's fields (named as the CSV columns), checked in `format` on
/// `today`: the target, or every problem at `/<field>` or at the pointer of the JSON body.
pub fn target_from_fields(
    row: &Row<'_>,
    format: SubmissionFormat,
    today: Date,
) -> Result<TargetSubmission, Vec<Violation>> {
    let mut violations = Violations::new();
    let target = row_target(&mut violations, "", row);
    if violations.is_empty() {
        target.check_into(&mut violations, "", format, today);
    }
    violations.into_result().map(|()| target)
}

/// The target of one row, every unreadable cell reported at `prefix/<column>`.
fn row_target(violations: &mut Violations, prefix: &str, row: &Row<'_>) -> TargetSubmission {
    let cell = |name: &str| row.cell(name);
    let mut categories = Vec::new();
    if let Some(text) = cell("categories") {
        for name in text
            .split([';', '|', '、'])
            .map(str::trim)
            .filter(|name| !name.is_empty())
        {
            match TargetCategory::parse(name) {
                Some(category) => categories.push(category),
                None => violations.push(
                    format!("{prefix}/categories"),
                    format!("{name:?} is not a category (resource_circulation, economic_impact, social_impact, environmental_impact or their Japanese names, separated by ;)"),
                ),
            }
        }
    }
    let year = |violations: &mut Violations, name: &str| -> Option<i32> {
        let text = cell(name)?;
        text.parse()
            .map_err(|_| violations.push(format!("{prefix}/{name}"), format!("must be a year, got {text:?}")))
            .ok()
    };
    let number = |violations: &mut Violations, name: &str| -> Option<Decimal> {
        let text = cell(name)?;
        text.replace(',', "")
            .parse()
            .map_err(|_| violations.push(format!("{prefix}/{name}"), format!("must be a number, got {text:?}")))
            .ok()
    };
    let date = |violations: &mut Violations, name: &str| -> Option<Date> {
        let text = cell(name)?;
        iso_date::parse(text)
            .map_err(|message| violations.push(format!("{prefix}/{name}"), message))
            .ok()
    };
    let structured = [
        "indicator",
        "scope",
        "baseline_year",
        "baseline_value",
        "target_value",
        "unit",
        "target_year",
    ];
    let quantitative = if structured.iter().any(|name| cell(name).is_some()) {
        let missing: Vec<&str> = structured.iter().copied().filter(|name| cell(name).is_none()).collect();
        for name in &missing {
            violations.push(format!("{prefix}/{name}"), "is required for a quantitative target");
        }
        let baseline_year = year(violations, "baseline_year");
        let target_year = year(violations, "target_year");
        let baseline_value = number(violations, "baseline_value");
        let target_value = number(violations, "target_value");
        match (baseline_year, target_year, baseline_value, target_value) {
            (Some(baseline_year), Some(target_year), Some(baseline_value), Some(target_value))
                if missing.is_empty() =>
            {
                Some(Quantitative {
                    indicator: cell("indicator").unwrap_or_default().to_owned(),
                    scope: cell("scope").unwrap_or_default().to_owned(),
                    baseline_year,
                    baseline_value,
                    target_value,
                    unit: cell("unit").unwrap_or_default().to_owned(),
                    target_year,
                })
            }
            _ => None,
        }
    } else {
        None
    };
    let project = if cell("project_title").is_some() || cell("start_date").is_some() || cell("end_date").is_some() {
        let start = date(violations, "start_date");
        let end = date(violations, "end_date");
        for name in ["project_title", "start_date", "end_date"] {
            if cell(name).is_none() {
                violations.push(format!("{prefix}/{name}"), "is required for a project");
            }
        }
        let planned = match cell("end_date_planned").map(str::to_lowercase).as_deref() {
            None | Some("false" | "no" | "0") => false,
            Some("true" | "yes" | "1" | "予定") => true,
            Some(other) => {
                violations.push(
                    format!("{prefix}/end_date_planned"),
                    format!("must be true or false, got {other:?}"),
                );
                false
            }
        };
        match (cell("project_title"), start, end) {
            (Some(title), Some(start_date), Some(end_date)) => Some(Project {
                title: title.to_owned(),
                start_date,
                end_date,
                end_date_planned: planned,
            }),
            _ => None,
        }
    } else {
        None
    };
    let linked = ["linked_indicator", "linked_output", "linked_scope"];
    let linked_indicator = if linked.iter().any(|name| cell(name).is_some()) {
        match (cell("linked_indicator"), cell("linked_output"), cell("linked_scope")) {
            (Some(indicator), Some(output), Some(scope)) => Some(LinkedIndicator {
                indicator: indicator.to_owned(),
                output: output.to_owned(),
                scope: scope.to_owned(),
            }),
            _ => {
                violations.push(
                    format!("{prefix}/linked_indicator"),
                    "a linked indicator needs linked_indicator, linked_output and linked_scope",
                );
                None
            }
        }
    } else {
        None
    };
    TargetSubmission {
        categories,
        content: cell("content").map(str::to_owned),
        quantitative,
        project,
        publication_url: cell("publication_url").map(str::to_owned),
        linked_indicator,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const HEADER: &str = "categories,content,indicator,scope,baseline_year,baseline_value,target_value,unit,target_year,publication_url\n";

    fn problems(text: &str, format: SubmissionFormat) -> Vec<String> {
        read_targets(text, format, date!(2026 - 11 - 23))
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|violation| format!("{}: {}", violation.path, violation.message))
            .collect()
    }

    #[test]
    fn good_rows_become_targets() {
        let text = format!(
            "{HEADER}資源循環;環境インパクト,再生材利用率を30%に,再生材利用率,製品全体,2022,10,30,%,2030,https://example.com/a\n\
             economic_impact,\"CE事業の売上を100億円に\",CE事業売上,全社,2023,\"1,000\",10000,百万円,2030,\n"
        );
        let targets = read_targets(&text, SubmissionFormat::Business, date!(2026 - 11 - 23)).expect("valid file");
        assert_eq!(targets.len(), 2);
        assert_eq!(
            targets[0].categories,
            [TargetCategory::ResourceCirculation, TargetCategory::EnvironmentalImpact]
        );
        assert_eq!(
            targets[1].quantitative.as_ref().map(|q| q.baseline_value),
            Some(Decimal::from(1000))
        );
    }

    #[test]
    fn broken_rows_are_reported_by_line_and_nothing_is_returned() {
        let text = format!(
            "{HEADER}資源循環,良い行,再生材利用率,製品全体,2022,10,30,%,2030,\n\
             社会インパクト,分類が違う,雇用,市内,2022,0,100,人,2030,\n\
             資源循環,年が過去,再生材利用率,製品全体,2020,10,30,%,2024,\n\
             資源循環,数でない,再生材利用率,製品全体,2022,十,30,%,2030,\n\
             資源循環,列が足りない\n"
        );
        expect_test::expect![[r#"
            [
                "/rows/3/categories/0: social_impact (社会インパクト) is not a category of the format for companies and industry associations; choose from resource_circulation (資源循環), economic_impact (経済インパクト), environmental_impact (環境インパクト)",
                "/rows/4/quantitative/target_year: the target year 2024 is in the past; a target is set for 2026 or later",
                "/rows/5/baseline_value: must be a number, got \"十\"",
                "/rows/6: has 2 fields, the header 10",
            ]
        "#]]
        .assert_debug_eq(&problems(&text, SubmissionFormat::Business));
    }

    #[test]
    fn a_wrong_header_or_an_empty_file_is_refused() {
        assert_eq!(problems("a,b\n1,2\n", SubmissionFormat::Business).len(), 1);
        assert_eq!(
            problems(HEADER, SubmissionFormat::Business),
            ["/rows: the file holds no targets"]
        );
        let projects = "categories,content,indicator,scope,baseline_year,baseline_value,target_value,unit,target_year,publication_url,project_title,start_date,end_date,end_date_planned\n\
                        ,,,,,,,,,https://u.example/p,実証研究,2025-04-01,2027-03-31,true\n\
                        ,,,,,,,,,,実証研究2,2025-04-01,2024-03-31,maybe\n";
        expect_test::expect![[r#"
            [
                "/rows/3/end_date_planned: must be true or false, got \"maybe\"",
            ]
        "#]]
        .assert_debug_eq(&problems(projects, SubmissionFormat::Projects));
    }
}
