//! The Ouranos JSON models (`traceability.*` schemas of `testdata/ouranos/openapi.yaml`) both
//! ways: bodies are read field by field so that the first problem is reported the reference's
//! way (`Validation failed, partsName: cannot be blank.`), and records are written with exactly
//! the schema's field names, including every nullable field as `null`.

use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use junkan_footprint::decimal::{fraction_digits, from_json_number, to_json_number};
use junkan_model::ids::{FacilityId, OrganizationId};
use junkan_model::ouranos::{
    AmountUnit, CertificationFile, CfpCertification, CfpCertificationWrite, Operator, OperatorUpdate, Part, PartWrite,
    Plant, PlantWrite, Trade, TradeStatus,
};

/// A body problem, as the reference words it (without the `Validation failed, ` prefix).
pub type BodyResult<T> = Result<T, String>;

/// Reads one JSON object; `prefix` names it in messages (`parentPartsModel.`).
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    prefix: String,
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl<'a> Fields<'a> {
    /// The object `value`, or a type error naming `name`.
    pub fn of(value: &'a Value, name: &str) -> BodyResult<Fields<'a>> {
        match value {
            Value::Object(object) => Ok(Fields {
                object,
                prefix: if name.is_empty() {
                    String::new()
                } else {
                    format!("{name}.")
                },
            }),
            other => Err(format!(
                "{}: Unmarshal type error: expected=object, got={}",
                if name.is_empty() { "body" } else { name },
                type_name(other)
            )),
        }
    }

    fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    fn value(&self, field: &str) -> Option<&'a Value> {
        self.object.get(field).filter(|value| !value.is_null())
    }

    /// A nullable string of at most `max` characters.
    pub fn opt_string(&self, field: &str, max: usize) -> BodyResult<Option<String>> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::String(text)) => {
                if text.chars().count() > max {
                    Err(format!("{}: the length must be no more than {max}.", self.name(field)))
                } else {
                    Ok(Some(text.clone()))
                }
            }
            Some(other) => Err(format!(
                "{}: Unmarshal type error: expected=string, got={}.",
                self.name(field),
                type_name(other)
            )),
        }
    }

    /// A required string of `min..=max` characters.
    pub fn string(&self, field: &str, min: usize, max: usize) -> BodyResult<String> {
        let text = self
            .opt_string(field, usize::MAX)?
            .ok_or_else(|| format!("{}: cannot be blank.", self.name(field)))?;
        if text.is_empty() && min > 0 {
            return Err(format!("{}: cannot be blank.", self.name(field)));
        }
        let length = text.chars().count();
        if length < min || length > max {
            return Err(format!(
                "{}: the length must be between {min} and {max}.",
                self.name(field)
            ));
        }
        Ok(text)
    }

    /// A nullable UUID.
    pub fn opt_uuid(&self, field: &str) -> BodyResult<Option<Uuid>> {
        self.opt_string(field, 36)?
            .map(|text| Uuid::parse_str(&text).map_err(|_| format!("{}: must be a valid UUID.", self.name(field))))
            .transpose()
    }

    /// A required UUID.
    pub fn uuid(&self, field: &str) -> BodyResult<Uuid> {
        self.opt_uuid(field)?
            .ok_or_else(|| format!("{}: cannot be blank.", self.name(field)))
    }

    /// A required boolean.
    pub fn boolean(&self, field: &str) -> BodyResult<bool> {
        match self.value(field) {
            None => Err(format!("{}: cannot be blank.", self.name(field))),
            Some(Value::Bool(flag)) => Ok(*flag),
            Some(other) => Err(format!(
                "{}: Unmarshal type error: expected=bool, got={}.",
                self.name(field),
                type_name(other)
            )),
        }
    }

    /// A nullable number in Ouranos' range (0 to 99999.99999, at most five decimals), exact.
    pub fn opt_amount(&self, field: &str) -> BodyResult<Option<Decimal>> {
        match self.value(field) {
            None => Ok(None),
            Some(Value::Number(number)) => {
                let value = from_json_number(number).map_err(|problem| format!("{}: {problem}.", self.name(field)))?;
                if value < Decimal::ZERO || value > Decimal::new(9_999_999_999, 5) {
                    return Err(format!("{}: must be between 0 and 99999.99999.", self.name(field)));
                }
                if fraction_digits(value) > 5 {
                    return Err(format!(
                        "{}: must be a value up to the 5th decimal place.",
                        self.name(field)
                    ));
                }
                Ok(Some(value))
            }
            Some(other) => Err(format!(
                "{}: Unmarshal type error: expected=number, got={}.",
                self.name(field),
                type_name(other)
            )),
        }
    }

    /// A nullable date `YYYY-MM-DD`.
    pub fn opt_date(&self, field: &str) -> BodyResult<Option<Date>> {
        self.opt_string(field, 10)
            .map_err(|_| format!("{}: must be a valid date.", self.name(field)))?
            .map(|text| {
                Date::parse(&text, format_description!("[year]-[month]-[day]"))
                    .map_err(|_| format!("{}: must be a valid date.", self.name(field)))
            })
            .transpose()
    }

    /// A nullable enumeration value.
    pub fn opt_enum<T>(&self, field: &str, parse: impl Fn(&str) -> Option<T>) -> BodyResult<Option<T>> {
        self.opt_string(field, 256)?
            .map(|text| parse(&text).ok_or_else(|| format!("{}: cannot be allowed '{text}'.", self.name(field))))
            .transpose()
    }

    /// A nested object, which may be absent or null.
    pub fn opt_object(&self, field: &str) -> BodyResult<Option<Fields<'a>>> {
        match self.value(field) {
            None => Ok(None),
            Some(value) => Fields::of(value, &self.name(field)).map(Some),
        }
    }

    /// A required nested object.
    pub fn object(&self, field: &str) -> BodyResult<Fields<'a>> {
        self.opt_object(field)?
            .ok_or_else(|| format!("{}: cannot be blank.", self.name(field)))
    }

    /// A required array.
    pub fn array(&self, field: &str) -> BodyResult<&'a Vec<Value>> {
        match self.value(field) {
            None => Err(format!("{}: cannot be blank.", self.name(field))),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(format!(
                "{}: Unmarshal type error: expected=array, got={}.",
                self.name(field),
                type_name(other)
            )),
        }
    }

    /// Whether `field` is present with a non-null value.
    pub fn has(&self, field: &str) -> bool {
        self.value(field).is_some()
    }
}

fn opt_text(value: &Option<String>) -> Value {
    value.as_ref().map_or(Value::Null, |text| Value::String(text.clone()))
}

/// Ouranos date-times: UTC with seconds, `2024-05-23T11:22:33Z`.
pub fn date_time(moment: OffsetDateTime) -> String {
    let utc = moment
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(moment);
    utc.format(&Rfc3339).unwrap_or_default()
}

fn date(value: Date) -> String {
    format!("{:04}-{:02}-{:02}", value.year(), u8::from(value.month()), value.day())
}

// ---------------------------------------------------------------------------------------------
// Operators and plants

/// `traceability.OperatorModel`.
pub fn operator_json(operator: &Operator) -> Value {
    json!({
        "openOperatorId": operator.open_operator_id,
        "operatorAddress": operator.operator_address,
        "operatorAttribute": {"globalOperatorId": opt_text(&operator.global_operator_id)},
        "operatorId": operator.operator_id.to_string(),
        "operatorName": operator.operator_name,
    })
}

/// Reads an `OperatorModel` write.
pub fn read_operator(body: &Value) -> BodyResult<OperatorUpdate> {
    let fields = Fields::of(body, "")?;
    let operator_id = fields.uuid("operatorId")?;
    let open_operator_id = fields.string("openOperatorId", 1, 20)?;
    let operator_name = fields.string("operatorName", 1, 256)?;
    let operator_address = fields.string("operatorAddress", 1, 256)?;
    let global_operator_id = match fields.opt_object("operatorAttribute")? {
        Some(attribute) => attribute.opt_string("globalOperatorId", 256)?,
        None => None,
    };
    Ok(OperatorUpdate {
        operator_id: OrganizationId(operator_id),
        open_operator_id,
        operator_name,
        operator_address,
        global_operator_id,
    })
}

/// `traceability.PlantModel`.
pub fn plant_json(plant: &Plant) -> Value {
    json!({
        "openPlantId": plant.open_plant_id,
        "operatorId": plant.operator_id.to_string(),
        "plantAddress": plant.plant_address,
        "plantId": plant.plant_id.to_string(),
        "plantName": plant.plant_name,
        "plantAttribute": {"globalPlantId": opt_text(&plant.global_plant_id)},
    })
}

/// Reads a `PlantModel` write.
pub fn read_plant(body: &Value) -> BodyResult<PlantWrite> {
    let fields = Fields::of(body, "")?;
    let plant_id = fields.opt_uuid("plantId")?.map(FacilityId);
    let operator_id = OrganizationId(fields.uuid("operatorId")?);
    let open_plant_id = fields.string("openPlantId", 6, 26)?;
    let last_six = open_plant_id.chars().rev().take(6).collect::<Vec<_>>();
    if last_six.len() < 6 || !last_six.iter().all(char::is_ascii_digit) {
        return Err("openPlantId: the last 6 digits must always be numeric ".to_owned());
    }
    let plant_name = fields.string("plantName", 1, 256)?;
    let plant_address = fields.string("plantAddress", 1, 256)?;
    let global_plant_id = match fields.opt_object("plantAttribute")? {
        Some(attribute) => attribute.opt_string("globalPlantId", 256)?,
        None => None,
    };
    Ok(PlantWrite {
        plant_id,
        operator_id,
        open_plant_id,
        plant_name,
        plant_address,
        global_plant_id,
    })
}

// ---------------------------------------------------------------------------------------------
// Parts

/// `traceability.PartsModel`.
pub fn part_json(part: &Part) -> Value {
    json!({
        "amountRequired": part.amount_required.map_or(Value::Null, to_json_number),
        "amountRequiredUnit": part.amount_required_unit.map(AmountUnit::as_str),
        "operatorId": part.operator_id.to_string(),
        "partsName": part.parts_name,
        "plantId": part.plant_id.to_string(),
        "supportPartsName": opt_text(&part.support_parts_name),
        "terminatedFlag": part.terminated,
        "traceId": part.trace_id.to_string(),
        "partsLabelName": opt_text(&part.parts_label_name),
        "partsAddInfo1": opt_text(&part.parts_add_info[0]),
        "partsAddInfo2": opt_text(&part.parts_add_info[1]),
        "partsAddInfo3": opt_text(&part.parts_add_info[2]),
    })
}

/// Whether a part is read as a parent (no required amount allowed) or a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartRole {
    /// `dataTarget=parts` writes: the amount is optional.
    Single,
    /// `parentPartsModel`: the amount must be null.
    Parent,
    /// `childrenPartsModel`: the amount and its unit are required.
    Child,
}

/// Reads a `PartsModel`; `name` prefixes messages (`parentPartsModel`).
pub fn read_part(value: &Value, name: &str, role: PartRole) -> BodyResult<PartWrite> {
    let fields = Fields::of(value, name)?;
    let trace_id = fields.opt_uuid("traceId")?;
    let operator_id = OrganizationId(fields.uuid("operatorId")?);
    let plant_id = FacilityId(fields.uuid("plantId")?);
    let parts_name = fields.string("partsName", 1, 50)?;
    let support_parts_name = fields.opt_string("supportPartsName", 50)?;
    let terminated = fields.boolean("terminatedFlag")?;
    let amount_required = fields.opt_amount("amountRequired")?;
    let amount_required_unit = fields.opt_enum("amountRequiredUnit", AmountUnit::parse)?;
    match role {
        PartRole::Parent if amount_required.is_some() => {
            return Err(format!("{}amountRequired: must be blank.", fields.prefix));
        }
        PartRole::Child if amount_required.is_none() => {
            return Err(format!("{}amountRequired: cannot be blank.", fields.prefix));
        }
        PartRole::Child if amount_required_unit.is_none() => {
            return Err(format!("{}amountRequiredUnit: cannot be blank.", fields.prefix));
        }
        _ => {}
    }
    let parts_label_name = fields.opt_string("partsLabelName", 50)?;
    let parts_add_info = [
        fields.opt_string("partsAddInfo1", 50)?,
        fields.opt_string("partsAddInfo2", 50)?,
        fields.opt_string("partsAddInfo3", 50)?,
    ];
    Ok(PartWrite {
        trace_id,
        part: Part {
            trace_id: trace_id.unwrap_or_default(),
            operator_id,
            plant_id,
            parts_name,
            support_parts_name,
            terminated,
            amount_required,
            amount_required_unit,
            parts_label_name,
            parts_add_info,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Trades and statuses

/// `traceability.TradeModel`.
pub fn trade_json(trade: &Trade) -> Value {
    json!({
        "downstreamOperatorId": trade.downstream_operator_id.to_string(),
        "downstreamTraceId": trade.downstream_trace_id.to_string(),
        "tradeId": trade.trade_id.to_string(),
        "upstreamOperatorId": trade.upstream_operator_id.to_string(),
        "upstreamTraceId": trade.upstream_trace_id.map(|id| id.to_string()),
    })
}

/// `traceability.StatusModel`.
pub fn status_json(status: &TradeStatus) -> Value {
    json!({
        "message": opt_text(&status.message),
        "replyMessage": opt_text(&status.reply_message),
        "requestStatus": {
            "cfpResponseStatus": status.cfp_response_status.as_str(),
            "tradeTreeStatus": status.trade_tree_status.as_str(),
            "completedCount": status.completed_count,
            "completedCountModifiedAt": date_time(status.completed_count_modified_at),
            "tradesCount": status.trades_count,
            "tradesCountModifiedAt": date_time(status.trades_count_modified_at),
        },
        "requestType": "CFP",
        "statusId": status.status_id.to_string(),
        "tradeId": status.trade_id.to_string(),
        "responseDueDate": status.response_due_date.map(date),
    })
}

// ---------------------------------------------------------------------------------------------
// CFP certifications

/// `traceability.CfpCertificationModel`.
pub fn certification_json(certification: &CfpCertification) -> Value {
    json!({
        "cfpCertificationId": certification.cfp_certification_id.to_string(),
        "traceId": certification.trace_id.to_string(),
        "cfpCertificationDescription": opt_text(&certification.description),
        "cfpCertificationFileInfo": certification.files.as_ref().map(|files| {
            files.iter().map(|file| json!({
                "operatorId": file.operator_id.map(|id| id.to_string()),
                "fileId": file.file_id.map(|id| id.to_string()),
                "fileName": opt_text(&file.file_name),
            })).collect::<Vec<_>>()
        }),
    })
}

/// Reads a `CfpCertificationModel` write (junkan addition).
pub fn read_certification(body: &Value) -> BodyResult<CfpCertificationWrite> {
    let fields = Fields::of(body, "")?;
    let cfp_certification_id = fields.opt_uuid("cfpCertificationId")?;
    let trace_id = fields.uuid("traceId")?;
    let description = fields.opt_string("cfpCertificationDescription", 100)?;
    let mut files = Vec::new();
    if fields.has("cfpCertificationFileInfo") {
        let items = fields.array("cfpCertificationFileInfo")?;
        if items.len() > 100 {
            return Err("cfpCertificationFileInfo: the length must be no more than 100.".to_owned());
        }
        for (index, item) in items.iter().enumerate() {
            let file = Fields::of(item, &format!("cfpCertificationFileInfo[{index}]"))?;
            files.push(CertificationFile {
                operator_id: file.opt_uuid("operatorId")?.map(OrganizationId),
                file_id: file.opt_uuid("fileId")?,
                file_name: file.opt_string("fileName", 256)?,
            });
        }
    }
    Ok(CfpCertificationWrite {
        cfp_certification_id,
        trace_id,
        description,
        files,
    })
}
