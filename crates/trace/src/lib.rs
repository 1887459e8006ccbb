//! The lineage engine (トレース): from an object (an EPC, a lot, a product class), the graph of
//! events and objects it came from (backward) or went into (forward), through transformations
//! (inputs → outputs, with quantities) and aggregations (children ↔ parent), across any number of
//! recycling loops, with cycles cut and depth bounded.
//!
//! The engine performs no IO: [`Tracer`] asks for the events touching a set of identifiers
//! ([`Tracer::wanted`]), the caller looks them up (with the access rule applied, marking what
//! the caller may not read) and hands them back ([`Tracer::feed`]). Events the caller may not read
//! become opaque "withheld by <organization>" nodes, and objects known only through them are shown
//! without their identifiers, so the graph stays connected without leaking content.

pub mod flows;

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

pub use junkan_model::event::LineageEvent;
use junkan_model::event::{EventIdentifier, IdentifierRole};
use junkan_model::ids::OrganizationId;

/// Which way to trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Where it came from: outputs to inputs, parents to children.
    Backward,
    /// Where it went: inputs to outputs, children to parents.
    Forward,
    /// Both ways.
    Both,
}

/// A node of the lineage graph.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Node {
    /// Node key, unique in the graph (`object:<identifier>`, `event:<eventID>` or `withheld:<n>`).
    pub key: String,
    /// `object`, `event`, `withheld_event` or `withheld_object`.
    pub kind: String,
    /// The identifier of an object node.
    pub identifier: Option<String>,
    /// The eventID of a readable event.
    pub event_id: Option<String>,
    /// Event type of a readable event.
    pub event_type: Option<String>,
    /// Event time of a readable event.
    #[serde(with = "time::serde::rfc3339::option")]
    pub event_time: Option<OffsetDateTime>,
    /// bizStep of a readable event.
    pub biz_step: Option<String>,
    /// Organization that recorded the event (also for withheld events).
    pub organization_id: Option<OrganizationId>,
    /// Its name.
    pub organization_name: Option<String>,
    /// The peer node (its DID) this part of the graph was traced on, when the lineage continued
    /// on another junkan node (federation); absent for this node's own events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

/// An edge of the lineage graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Edge {
    /// From node key.
    pub from: String,
    /// To node key.
    pub to: String,
    /// `input` (object → transformation), `output` (transformation → object), `child` (object →
    /// aggregation), `parent` (aggregation → object), or `observed` (object — event).
    pub relation: String,
    /// Quantity on the edge, when recorded and readable.
    pub quantity: Option<String>,
    /// Its unit.
    pub uom: Option<String>,
}

/// The share of the traced object that comes from a source, from transformation quantities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Share {
    /// The source object's identifier.
    pub identifier: String,
    /// Share, a decimal between 0 and 1 (six decimals).
    pub share: String,
}

/// A traced graph.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Lineage {
    /// The traced identifier (canonical).
    pub root: String,
    /// Direction traced.
    pub direction: Direction,
    /// Depth bound (transformation and aggregation steps).
    pub depth: u32,
    /// Nodes.
    pub nodes: Vec<Node>,
    /// Edges.
    pub edges: Vec<Edge>,
    /// For backward traces: where the root's material came from, by mass share.
    pub shares: Vec<Share>,
    /// Whether the trace reached the depth bound somewhere (objects there were not traced further).
    pub truncated: bool,
}

/// The tracing state machine.
#[derive(Debug)]
pub struct Tracer {
    root: String,
    direction: Direction,
    depth: u32,
    /// Identifiers to look up next, with their depth.
    frontier: Vec<(String, u32)>,
    looked_up: BTreeSet<String>,
    events: BTreeMap<String, LineageEvent>,
    /// (event, identifier) pairs that were expanded, for the share computation.
    expansions: Vec<(String, String)>,
    truncated: bool,
}

fn is_input(role: IdentifierRole) -> bool {
    matches!(role, IdentifierRole::Input | IdentifierRole::InputQuantity)
}

fn is_output(role: IdentifierRole) -> bool {
    matches!(role, IdentifierRole::Output | IdentifierRole::OutputQuantity)
}

fn is_child(role: IdentifierRole) -> bool {
    matches!(role, IdentifierRole::Child | IdentifierRole::ChildQuantity)
}

impl Tracer {
    /// A trace of `root` (a canonical identifier).
    pub fn new(root: &str, direction: Direction, depth: u32) -> Tracer {
        Tracer {
            root: root.to_owned(),
            direction,
            depth,
            frontier: vec![(root.to_owned(), 0)],
            looked_up: BTreeSet::new(),
            events: BTreeMap::new(),
            expansions: Vec::new(),
            truncated: false,
        }
    }

    /// The identifiers whose events are needed next; `None` when the trace is complete.
    pub fn wanted(&self) -> Option<Vec<String>> {
        let wanted: Vec<String> = self.frontier.iter().map(|(identifier, _)| identifier.clone()).collect();
        if wanted.is_empty() {
            None
        } else {
            Some(wanted)
        }
    }

    /// The events the trace already has, so that the caller need not fetch them again.
    pub fn known_events(&self) -> Vec<String> {
        self.events.keys().cloned().collect()
    }

    /// Takes the events touching the identifiers last [`wanted`](Tracer::wanted) and decides what
    /// to look up next.
    pub fn feed(&mut self, events: Vec<LineageEvent>) {
        let frontier = std::mem::take(&mut self.frontier);
        for (identifier, _) in &frontier {
            self.looked_up.insert(identifier.clone());
        }
        let mut next: Vec<(String, u32)> = Vec::new();
        // Events met again (through another of their identifiers) are re-examined from the new side.
        let again: Vec<LineageEvent> = self
            .events
            .values()
            .filter(|event| {
                event
                    .identifiers
                    .iter()
                    .any(|identifier| frontier.iter().any(|(wanted, _)| *wanted == identifier.value))
            })
            .cloned()
            .collect();
        let fresh: Vec<LineageEvent> = events
            .into_iter()
            .filter(|event| !self.events.contains_key(&event.event_id))
            .collect();
        for event in fresh.into_iter().chain(again) {
            let mut relevant = false;
            for (identifier, depth) in &frontier {
                let Some(own) = event
                    .identifiers
                    .iter()
                    .find(|candidate| candidate.value == *identifier)
                else {
                    continue;
                };
                let backward = self.direction != Direction::Forward;
                let forward = self.direction != Direction::Backward;
                // Aggregations: ADD (or OBSERVE) puts children into the parent, DELETE takes them
                // out, so a removed child came from its parent.
                let removed = event.action.as_deref() == Some("DELETE");
                let parent = own.role == IdentifierRole::Parent;
                let made = is_output(own.role) || (parent && !removed) || (is_child(own.role) && removed);
                let used = is_input(own.role) || (is_child(own.role) && !removed) || (parent && removed);
                // An event belongs to a trace when it made the object (backward), used it
                // (forward), or merely observed it (either way).
                let observed = !is_input(own.role) && !is_output(own.role) && !is_child(own.role) && !parent;
                relevant |= observed || (backward && made) || (forward && used);
                let continue_with: Vec<&EventIdentifier> = event
                    .identifiers
                    .iter()
                    .filter(|other| {
                        (backward && is_output(own.role) && is_input(other.role))
                            || (forward && is_input(own.role) && is_output(other.role))
                            || (backward && parent && !removed && is_child(other.role))
                            || (forward && is_child(own.role) && !removed && other.role == IdentifierRole::Parent)
                            || (backward && is_child(own.role) && removed && other.role == IdentifierRole::Parent)
                            || (forward && parent && removed && is_child(other.role))
                    })
                    .collect();
                let expansion = (event.event_id.clone(), identifier.clone());
                if !continue_with.is_empty() && !self.expansions.contains(&expansion) {
                    self.expansions.push(expansion);
                }
                for other in continue_with {
                    // Objects at the depth bound are shown but not looked up further.
                    if *depth + 1 >= self.depth {
                        self.truncated = true;
                    } else if !self.looked_up.contains(&other.value)
                        && !next.iter().any(|(known, _)| *known == other.value)
                    {
                        next.push((other.value.clone(), depth + 1));
                    }
                }
            }
            if relevant {
                self.events.entry(event.event_id.clone()).or_insert(event);
            }
        }
        self.frontier = next;
    }

    /// The graph, once [`wanted`](Tracer::wanted) returns `None` (or whenever the caller stops).
    pub fn finish(self) -> Lineage {
        let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
        let mut edges: Vec<Edge> = Vec::new();
        // Objects seen in a readable event may be named; others are withheld.
        let visible: BTreeSet<&str> = self
            .events
            .values()
            .filter(|event| event.readable)
            .flat_map(|event| event.identifiers.iter().map(|identifier| identifier.value.as_str()))
            .chain(std::iter::once(self.root.as_str()))
            .collect();
        let mut withheld_keys: BTreeMap<String, String> = BTreeMap::new();
        let object_key = |identifier: &str, withheld_keys: &mut BTreeMap<String, String>| {
            if visible.contains(identifier) {
                format!("object:{identifier}")
            } else {
                let count = withheld_keys.len();
                withheld_keys
                    .entry(identifier.to_owned())
                    .or_insert_with(|| format!("withheld:object:{count}"))
                    .clone()
            }
        };
        let mut withheld_events = 0;
        for event in self.events.values() {
            let event_key = if event.readable {
                format!("event:{}", event.event_id)
            } else {
                withheld_events += 1;
                format!("withheld:event:{withheld_events}")
            };
            nodes.insert(
                event_key.clone(),
                Node {
                    key: event_key.clone(),
                    kind: if event.readable { "event" } else { "withheld_event" }.to_owned(),
                    identifier: None,
                    event_id: event.readable.then(|| event.event_id.clone()),
                    event_type: event.readable.then(|| event.event_type.clone()),
                    event_time: event.readable.then_some(event.event_time),
                    biz_step: if event.readable { event.biz_step.clone() } else { None },
                    organization_id: Some(event.owner),
                    organization_name: Some(event.owner_name.clone()),
                    peer: None,
                },
            );
            let traced: BTreeSet<&str> = self.looked_up.iter().map(String::as_str).collect();
            for identifier in &event.identifiers {
                let relation = if is_input(identifier.role) {
                    "input"
                } else if is_output(identifier.role) {
                    "output"
                } else if is_child(identifier.role) {
                    "child"
                } else if identifier.role == IdentifierRole::Parent {
                    "parent"
                } else if traced.contains(identifier.value.as_str()) {
                    "observed"
                } else {
                    // Other objects merely seen in the same event (shipped together, ...) are not lineage.
                    continue;
                };
                let key = object_key(&identifier.value, &mut withheld_keys);
                nodes.entry(key.clone()).or_insert_with(|| Node {
                    key: key.clone(),
                    kind: if key.starts_with("withheld:") {
                        "withheld_object"
                    } else {
                        "object"
                    }
                    .to_owned(),
                    identifier: (!key.starts_with("withheld:")).then(|| identifier.value.clone()),
                    event_id: None,
                    event_type: None,
                    event_time: None,
                    biz_step: None,
                    organization_id: None,
                    organization_name: None,
                    peer: None,
                });
                let (from, to) = match relation {
                    "output" | "parent" => (event_key.clone(), key),
                    _ => (key, event_key.clone()),
                };
                let (quantity, uom) = if event.readable {
                    (identifier.quantity.clone(), identifier.uom.clone())
                } else {
                    (None, None)
                };
                edges.push(Edge {
                    from,
                    to,
                    relation: relation.to_owned(),
                    quantity,
                    uom,
                });
            }
        }
        let shares = if self.direction == Direction::Backward {
            self.shares()
        } else {
            Vec::new()
        };
        Lineage {
            root: self.root,
            direction: self.direction,
            depth: self.depth,
            nodes: nodes.into_values().collect(),
            edges,
            shares,
            truncated: self.truncated,
        }
    }

    /// Mass shares of the sources of the root, through readable transformations whose inputs all
    /// carry quantities in one unit.
    fn shares(&self) -> Vec<Share> {
        let mut contribution: BTreeMap<String, Decimal> = BTreeMap::new();
        contribution.insert(self.root.clone(), Decimal::ONE);
        for (event_id, output) in &self.expansions {
            let Some(event) = self.events.get(event_id) else {
                continue;
            };
            let Some(amount) = contribution.get(output).copied() else {
                continue;
            };
            if !event.readable {
                continue;
            }
            let inputs: Vec<&EventIdentifier> = event
                .identifiers
                .iter()
                .filter(|identifier| is_input(identifier.role))
                .collect();
            let quantities: Option<Vec<Decimal>> = inputs
                .iter()
                .map(|identifier| {
                    identifier
                        .quantity
                        .as_deref()
                        .and_then(|text| text.parse::<Decimal>().ok())
                })
                .collect();
            let units: BTreeSet<Option<&str>> = inputs.iter().map(|identifier| identifier.uom.as_deref()).collect();
            let (Some(quantities), 1) = (quantities, units.len()) else {
                continue;
            };
            let total: Decimal = quantities.iter().sum();
            if total <= Decimal::ZERO {
                continue;
            }
            for (input, quantity) in inputs.iter().zip(quantities) {
                *contribution.entry(input.value.clone()).or_insert(Decimal::ZERO) += amount * quantity / total;
            }
        }
        contribution.remove(&self.root);
        let visible: BTreeSet<&str> = self
            .events
            .values()
            .filter(|event| event.readable)
            .flat_map(|event| event.identifiers.iter().map(|identifier| identifier.value.as_str()))
            .collect();
        contribution
            .into_iter()
            .filter(|(identifier, _)| visible.contains(identifier.as_str()))
            .map(|(identifier, share)| Share {
                identifier,
                share: share.round_dp(6).normalize().to_string(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identifier(role: IdentifierRole, value: &str, quantity: Option<&str>) -> EventIdentifier {
        EventIdentifier {
            role,
            value: value.to_owned(),
            quantity: quantity.map(str::to_owned),
            uom: quantity.map(|_| "KGM".to_owned()),
        }
    }

    fn event(id: &str, event_type: &str, readable: bool, identifiers: Vec<EventIdentifier>) -> LineageEvent {
        LineageEvent {
            event_id: id.to_owned(),
            event_type: event_type.to_owned(),
            event_time: OffsetDateTime::UNIX_EPOCH,
            biz_step: None,
            action: None,
            owner: OrganizationId::derived(id),
            owner_name: format!("org of {id}"),
            readable,
            identifiers,
        }
    }

    /// A little economy: two waste lots (W1 600 kg, W2 400 kg) are recycled into pellets P; the
    /// pellets and virgin resin V are compounded into C; C's recycler event is withheld; a
    /// product X made from C is later recycled back into W1 (a loop).
    fn economy() -> Vec<LineageEvent> {
        use IdentifierRole::*;
        vec![
            event(
                "recycle",
                "TransformationEvent",
                true,
                vec![
                    identifier(InputQuantity, "W1", Some("600")),
                    identifier(InputQuantity, "W2", Some("400")),
                    identifier(OutputQuantity, "P", Some("820")),
                ],
            ),
            event(
                "compound",
                "TransformationEvent",
                true,
                vec![
                    identifier(InputQuantity, "P", Some("300")),
                    identifier(InputQuantity, "V", Some("700")),
                    identifier(OutputQuantity, "C", Some("1000")),
                ],
            ),
            event(
                "mould",
                "TransformationEvent",
                false,
                vec![
                    identifier(InputQuantity, "C", Some("10")),
                    identifier(Output, "X", None),
                ],
            ),
            event(
                "take-back",
                "TransformationEvent",
                true,
                vec![
                    identifier(Input, "X", None),
                    identifier(OutputQuantity, "W1", Some("5")),
                ],
            ),
            event(
                "ship",
                "ObjectEvent",
                true,
                vec![identifier(Epc, "X", None), identifier(Epc, "OTHER", None)],
            ),
        ]
    }

    fn run(root: &str, direction: Direction, depth: u32) -> Lineage {
        let all = economy();
        let mut tracer = Tracer::new(root, direction, depth);
        let mut rounds = 0;
        while let Some(wanted) = tracer.wanted() {
            rounds += 1;
            assert!(rounds < 50, "the trace terminates");
            let touching: Vec<LineageEvent> = all
                .iter()
                .filter(|event| {
                    event
                        .identifiers
                        .iter()
                        .any(|identifier| wanted.contains(&identifier.value))
                })
                .cloned()
                .collect();
            tracer.feed(touching);
        }
        tracer.finish()
    }

    #[test]
    fn backward_trace_with_shares() {
        let lineage = run("C", Direction::Backward, 8);
        let objects: Vec<&str> = lineage
            .nodes
            .iter()
            .filter_map(|node| node.identifier.as_deref())
            .collect();
        // X is there because W1 was also taken back from X: the loop is followed once.
        assert_eq!(objects, vec!["C", "P", "V", "W1", "W2", "X"]);
        let shares: Vec<(String, String)> = lineage
            .shares
            .iter()
            .map(|share| (share.identifier.clone(), share.share.clone()))
            .collect();
        assert_eq!(
            shares,
            vec![
                ("P".into(), "0.3".into()),
                ("V".into(), "0.7".into()),
                ("W1".into(), "0.18".into()),
                ("W2".into(), "0.12".into())
            ]
        );
        assert!(!lineage.truncated);
    }

    #[test]
    fn loops_terminate_and_withheld_parts_stay_connected() {
        let lineage = run("W1", Direction::Forward, 10);
        let kinds: Vec<&str> = lineage.nodes.iter().map(|node| node.kind.as_str()).collect();
        assert!(kinds.contains(&"withheld_event"), "{kinds:?}");
        let withheld = lineage
            .nodes
            .iter()
            .find(|node| node.kind == "withheld_event")
            .expect("withheld");
        assert_eq!(withheld.organization_name.as_deref(), Some("org of mould"));
        assert!(withheld.event_id.is_none() && withheld.biz_step.is_none());
        // X appears in readable events (take-back, ship), so it is named; the loop back to W1 closes.
        assert!(lineage.nodes.iter().any(|node| node.identifier.as_deref() == Some("X")));
        assert!(lineage
            .edges
            .iter()
            .any(|edge| edge.to == "object:W1" && edge.relation == "output"));
        // Quantities of the withheld event are not shown.
        assert!(lineage
            .edges
            .iter()
            .filter(|edge| edge.to.starts_with("withheld:") || edge.from.starts_with("withheld:"))
            .all(|edge| edge.quantity.is_none()));
        // Objects merely shipped alongside are not lineage.
        assert!(!lineage
            .nodes
            .iter()
            .any(|node| node.identifier.as_deref() == Some("OTHER")));
    }

    #[test]
    fn depth_bounds_the_trace() {
        let lineage = run("C", Direction::Backward, 1);
        let objects: Vec<&str> = lineage
            .nodes
            .iter()
            .filter_map(|node| node.identifier.as_deref())
            .collect();
        assert_eq!(objects, vec!["C", "P", "V"]);
        assert!(lineage.truncated);
    }
}
