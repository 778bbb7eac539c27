//! Query answers as text tables and JSON. Amounts stay exact strings in both forms.

use serde_json::{json, Value};

use super::event_view::{channel_json, event_json, event_line, money_json, size_json};
use super::output::{amount, enum_name, money, yes_no, Align, Table, View};
use crate::api::proto;

fn answered_at(sequence: u64) -> String {
    format!("answered at sequence {sequence}\n")
}

/// Field/value lines, values flush left (ids, names, dates).
fn fields(pairs: &[(&str, String)]) -> String {
    let mut table = Table::headless(&[Align::Left, Align::Left]);
    for (name, value) in pairs {
        table.row(vec![name.to_string(), value.clone()]);
    }
    table.render()
}

/// Field/amount lines, amounts flush right so their digits line up.
fn figures(pairs: &[(&str, String)]) -> String {
    let mut table = Table::headless(&[Align::Left, Align::Right]);
    for (name, value) in pairs {
        table.row(vec![name.to_string(), value.clone()]);
    }
    table.render()
}

fn phase_json(p: &proto::PhaseBalances) -> Value {
    json!({
        "phase_id": p.phase_id, "name": p.name, "currency": p.currency, "closed": p.closed,
        "starts_on": p.starts_on, "ends_on": p.ends_on, "match_ratio": p.match_ratio,
        "pledged": p.pledged, "contributed": p.contributed, "matched": p.matched,
        "match_outstanding": p.match_outstanding, "pool": p.pool, "awarded": p.awarded,
        "awarded_government": p.awarded_government, "awarded_sponsor": p.awarded_sponsor,
        "own_shares": p.own_shares, "disbursed": p.disbursed, "refunded": p.refunded,
        "cash": p.cash, "uncommitted": p.uncommitted,
        "smes_supported": p.smes_supported, "projects": p.projects,
        "settlement": p.settlement.as_ref().map(super::settlement::view::json),
    })
}

/// The view of an answer that lacks the one item it should carry (`field` is its JSON name).
fn missing(field: &str, at: u64) -> View {
    let name = if field == "sme" { "SME" } else { field };
    View {
        text: format!("no {name} in the answer\n{}", answered_at(at)),
        json: json!({ "answered_at_sequence": at, field: null }),
    }
}

/// One phase, field by field.
pub fn phase(response: &proto::PhaseBalancesResponse) -> View {
    let Some(p) = &response.phase else {
        return missing("phase", response.answered_at_sequence);
    };
    let header = fields(&[
        ("phase", p.phase_id.clone()),
        ("name", p.name.clone()),
        ("currency", p.currency.clone()),
        ("period", format!("{} .. {}", p.starts_on, p.ends_on)),
        ("match ratio", p.match_ratio.clone()),
        ("closed", yes_no(p.closed)),
    ]);
    let body = figures(&[
        ("pledged", amount(&p.pledged)),
        ("contributed", amount(&p.contributed)),
        ("matched", amount(&p.matched)),
        ("match outstanding", amount(&p.match_outstanding)),
        ("pool", amount(&p.pool)),
        ("awarded", amount(&p.awarded)),
        ("  government shares", amount(&p.awarded_government)),
        ("  sponsor shares", amount(&p.awarded_sponsor)),
        ("own shares (not pooled)", amount(&p.own_shares)),
        ("disbursed", amount(&p.disbursed)),
        ("refunded", amount(&p.refunded)),
        ("cash", amount(&p.cash)),
        ("uncommitted", amount(&p.uncommitted)),
        ("SMEs supported", p.smes_supported.to_string()),
        ("projects", p.projects.to_string()),
    ]);
    let settlement = p
        .settlement
        .as_ref()
        .map(|s| {
            format!(
                "\nsettlement\n{}",
                figures(&super::settlement::view::rows(s))
            )
        })
        .unwrap_or_default();
    View {
        text: format!(
            "{header}\n{body}{settlement}\n{}",
            answered_at(response.answered_at_sequence)
        ),
        json: json!({
            "answered_at_sequence": response.answered_at_sequence,
            "phase": phase_json(p),
        }),
    }
}

/// Every phase, one row each.
pub fn phases(response: &proto::ListPhaseBalancesResponse) -> View {
    let mut table = Table::new(&[
        ("phase", Align::Left),
        ("name", Align::Left),
        ("cur", Align::Left),
        ("closed", Align::Left),
        ("contributed", Align::Right),
        ("matched", Align::Right),
        ("pool", Align::Right),
        ("awarded", Align::Right),
        ("disbursed", Align::Right),
        ("refunded", Align::Right),
        ("cash", Align::Right),
        ("SMEs", Align::Right),
        ("projects", Align::Right),
    ]);
    for p in &response.phases {
        table.row(vec![
            p.phase_id.clone(),
            p.name.clone(),
            p.currency.clone(),
            yes_no(p.closed),
            amount(&p.contributed),
            amount(&p.matched),
            amount(&p.pool),
            amount(&p.awarded),
            amount(&p.disbursed),
            amount(&p.refunded),
            amount(&p.cash),
            p.smes_supported.to_string(),
            p.projects.to_string(),
        ]);
    }
    View {
        text: format!(
            "{}\n{}",
            table.render(),
            answered_at(response.answered_at_sequence)
        ),
        json: json!({
            "answered_at_sequence": response.answered_at_sequence,
            "phases": response.phases.iter().map(phase_json).collect::<Vec<_>>(),
        }),
    }
}

fn sme_figures_json(f: &proto::SmeFigures) -> Value {
    json!({
        "phase_id": f.phase_id, "currency": f.currency, "awarded": f.awarded,
        "disbursed": f.disbursed, "refunded": f.refunded, "outstanding": f.outstanding,
        "projects": f.projects, "own_share": f.own_share,
    })
}

fn sme_json(s: &proto::SmeBalances) -> Value {
    json!({
        "sme_id": s.sme_id, "business_registration_number": s.business_registration_number,
        "name": s.name, "supplier": s.supplier,
        "channel": channel_json(s.channel), "size": size_json(s.size),
        "totals": s.totals.iter().map(sme_figures_json).collect::<Vec<_>>(),
        "phases": s.phases.iter().map(sme_figures_json).collect::<Vec<_>>(),
    })
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// One SME: its attributes, then its figures in total and per phase.
pub fn sme(response: &proto::SmeBalancesResponse) -> View {
    let Some(s) = &response.sme else {
        return missing("sme", response.answered_at_sequence);
    };
    let header = fields(&[
        ("sme", s.sme_id.clone()),
        ("name", s.name.clone()),
        ("brn", s.business_registration_number.clone()),
        ("supplier", yes_no(s.supplier)),
        ("channel", json_text(&channel_json(s.channel))),
        ("size", json_text(&size_json(s.size))),
    ]);
    let mut table = Table::new(&[
        ("phase", Align::Left),
        ("cur", Align::Left),
        ("awarded", Align::Right),
        ("disbursed", Align::Right),
        ("refunded", Align::Right),
        ("outstanding", Align::Right),
        ("projects", Align::Right),
        ("own share", Align::Right),
    ]);
    for f in s.totals.iter().chain(&s.phases) {
        let phase = if f.phase_id.is_empty() {
            "total".to_string()
        } else {
            f.phase_id.clone()
        };
        table.row(vec![
            phase,
            f.currency.clone(),
            amount(&f.awarded),
            amount(&f.disbursed),
            amount(&f.refunded),
            amount(&f.outstanding),
            f.projects.to_string(),
            amount(&f.own_share),
        ]);
    }
    View {
        text: format!(
            "{header}\n{}\n{}",
            table.render(),
            answered_at(response.answered_at_sequence)
        ),
        json: json!({ "answered_at_sequence": response.answered_at_sequence, "sme": sme_json(s) }),
    }
}

/// A page of SMEs, one row per SME and currency of its totals.
pub fn smes(response: &proto::ListSmeBalancesResponse) -> View {
    let mut table = Table::new(&[
        ("sme", Align::Left),
        ("name", Align::Left),
        ("brn", Align::Left),
        ("supplier", Align::Left),
        ("cur", Align::Left),
        ("awarded", Align::Right),
        ("disbursed", Align::Right),
        ("outstanding", Align::Right),
        ("projects", Align::Right),
    ]);
    for s in &response.smes {
        let identity = vec![
            s.sme_id.clone(),
            s.name.clone(),
            s.business_registration_number.clone(),
            yes_no(s.supplier),
        ];
        if s.totals.is_empty() {
            table.row(identity.clone());
        }
        for f in &s.totals {
            let mut row = identity.clone();
            row.extend([
                f.currency.clone(),
                amount(&f.awarded),
                amount(&f.disbursed),
                amount(&f.outstanding),
                f.projects.to_string(),
            ]);
            table.row(row);
        }
    }
    let mut text = table.render();
    text.push_str(&format!("\n{} SMEs in the listing", response.total));
    if !response.next_page_token.is_empty() {
        text.push_str(&format!(
            "; next page: --page-token {}",
            response.next_page_token
        ));
    }
    text.push('\n');
    text.push_str(&answered_at(response.answered_at_sequence));
    View {
        text,
        json: json!({
            "answered_at_sequence": response.answered_at_sequence,
            "smes": response.smes.iter().map(sme_json).collect::<Vec<_>>(),
            "next_page_token": response.next_page_token,
            "total": response.total,
        }),
    }
}

/// Which kind of participant a balance answer is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Participant {
    /// A contributor: pledged and contributed.
    Contributor,
    /// An agency: matched.
    Agency,
}

/// A contributor's or agency's money per phase.
pub fn participant(response: &proto::ParticipantBalancesResponse, kind: Participant) -> View {
    let (label, paid_in) = match kind {
        Participant::Contributor => ("contributor", "contributed"),
        Participant::Agency => ("agency", "matched"),
    };
    let header = fields(&[
        (label, response.id.clone()),
        ("name", response.name.clone()),
    ]);
    let mut columns = vec![("phase", Align::Left), ("cur", Align::Left)];
    if kind == Participant::Contributor {
        columns.push(("pledged", Align::Right));
    }
    columns.push((paid_in, Align::Right));
    let mut table = Table::new(&columns);
    for p in &response.phases {
        let mut row = vec![p.phase_id.clone(), p.currency.clone()];
        if kind == Participant::Contributor {
            row.push(amount(&p.pledged));
        }
        row.push(amount(&p.paid_in));
        table.row(row);
    }
    let phases: Vec<Value> = response
        .phases
        .iter()
        .map(|p| json!({ "phase_id": p.phase_id, "currency": p.currency, "pledged": p.pledged, "paid_in": p.paid_in }))
        .collect();
    View {
        text: format!(
            "{header}\n{}\n{}",
            table.render(),
            answered_at(response.answered_at_sequence)
        ),
        json: json!({
            "answered_at_sequence": response.answered_at_sequence,
            "kind": label, "id": response.id, "name": response.name, "phases": phases,
        }),
    }
}

fn status_name(status: i32) -> String {
    match proto::MatchStatus::try_from(status) {
        Ok(known) => enum_name(known.as_str_name(), "MATCH_STATUS_"),
        Err(_) => status.to_string(),
    }
}

fn contribution_json(c: &proto::ContributionStatus) -> Value {
    json!({
        "contribution_id": c.contribution_id, "phase_id": c.phase_id,
        "contributor_id": c.contributor_id, "amount": money_json(c.amount.as_ref()),
        "matched": c.matched, "match_limit": c.match_limit, "outstanding": c.outstanding,
        "status": status_name(c.status), "reversed": c.reversed,
        "match_ids": c.match_ids, "reversed_match_ids": c.reversed_match_ids,
    })
}

fn contribution_money(c: &proto::ContributionStatus) -> (String, String) {
    c.amount
        .as_ref()
        .map(|m| (m.amount.clone(), m.currency.clone()))
        .unwrap_or_default()
}

/// One contribution's match status, field by field.
pub fn match_status(response: &proto::MatchStatusResponse) -> View {
    let at = response.answered_at_sequence;
    let Some(c) = &response.contribution else {
        return missing("contribution", at);
    };
    let (paid, currency) = contribution_money(c);
    let header = fields(&[
        ("contribution", c.contribution_id.clone()),
        ("phase", c.phase_id.clone()),
        ("contributor", c.contributor_id.clone()),
        ("status", status_name(c.status)),
        ("reversed", yes_no(c.reversed)),
        ("matches", c.match_ids.join(", ")),
        ("reversed matches", c.reversed_match_ids.join(", ")),
    ]);
    let body = figures(&[
        ("amount", money(&paid, &currency)),
        ("match limit", money(&c.match_limit, &currency)),
        ("matched", money(&c.matched, &currency)),
        ("outstanding", money(&c.outstanding, &currency)),
    ]);
    View {
        text: format!("{header}\n{body}\n{}", answered_at(at)),
        json: json!({ "answered_at_sequence": at, "contribution": contribution_json(c) }),
    }
}

/// The open contributions of a phase, oldest first.
pub fn open_contributions(response: &proto::ListOpenContributionsResponse) -> View {
    let mut table = Table::new(&[
        ("contribution", Align::Left),
        ("contributor", Align::Left),
        ("cur", Align::Left),
        ("amount", Align::Right),
        ("matched", Align::Right),
        ("outstanding", Align::Right),
        ("status", Align::Left),
    ]);
    for c in &response.contributions {
        let (paid, currency) = contribution_money(c);
        table.row(vec![
            c.contribution_id.clone(),
            c.contributor_id.clone(),
            currency,
            amount(&paid),
            amount(&c.matched),
            amount(&c.outstanding),
            status_name(c.status),
        ]);
    }
    View {
        text: format!(
            "{}\n{}",
            table.render(),
            answered_at(response.answered_at_sequence)
        ),
        json: json!({
            "answered_at_sequence": response.answered_at_sequence,
            "contributions": response.contributions.iter().map(contribution_json).collect::<Vec<_>>(),
        }),
    }
}

fn categories_table(title: &str, categories: &[proto::CategoryFigures]) -> String {
    let mut table = Table::new(&[
        (title, Align::Left),
        ("projects", Align::Right),
        ("awarded", Align::Right),
    ]);
    for c in categories {
        table.row(vec![
            c.category.clone(),
            c.projects.to_string(),
            amount(&c.awarded),
        ]);
    }
    table.render()
}

fn categories_json(categories: &[proto::CategoryFigures]) -> Value {
    categories
        .iter()
        .map(|c| json!({ "category": c.category, "projects": c.projects, "awarded": c.awarded }))
        .collect()
}

/// The sponsor's figures for a phase: totals, then projects by category.
pub fn sponsor_report(r: &proto::SponsorReportResponse) -> View {
    let header = fields(&[
        ("phase", r.phase_id.clone()),
        ("currency", r.currency.clone()),
        ("SMEs supported", r.smes_supported.to_string()),
        ("projects", r.projects.to_string()),
        ("non-supplier SMEs", r.non_supplier_smes.to_string()),
        ("non-supplier share", r.non_supplier_share.clone()),
    ]);
    let text = [
        header,
        categories_table("purpose", &r.by_purpose),
        categories_table("support type", &r.by_support_type),
        categories_table("channel", &r.by_channel),
        categories_table("size", &r.by_size),
        answered_at(r.answered_at_sequence),
    ]
    .join("\n");
    View {
        text,
        json: json!({
            "answered_at_sequence": r.answered_at_sequence,
            "phase_id": r.phase_id, "currency": r.currency,
            "smes_supported": r.smes_supported, "projects": r.projects,
            "non_supplier_smes": r.non_supplier_smes, "non_supplier_share": r.non_supplier_share,
            "by_purpose": categories_json(&r.by_purpose),
            "by_support_type": categories_json(&r.by_support_type),
            "by_channel": categories_json(&r.by_channel),
            "by_size": categories_json(&r.by_size),
        }),
    }
}

/// Every account with its balance, then the totals per currency (always zero).
pub fn trial_balance(r: &proto::TrialBalanceResponse) -> View {
    let mut table = Table::new(&[
        ("account", Align::Left),
        ("cur", Align::Left),
        ("balance", Align::Right),
    ]);
    for a in &r.accounts {
        table.row(vec![
            a.account.clone(),
            a.currency.clone(),
            amount(&a.balance),
        ]);
    }
    for total in &r.totals {
        table.row(vec![
            "total".to_string(),
            total.currency.clone(),
            amount(&total.amount),
        ]);
    }
    View {
        text: format!(
            "{}\n{}",
            table.render(),
            answered_at(r.answered_at_sequence)
        ),
        json: json!({
            "answered_at_sequence": r.answered_at_sequence,
            "accounts": r.accounts.iter().map(|a| json!({
                "account": a.account, "currency": a.currency, "balance": a.balance,
            })).collect::<Vec<_>>(),
            "totals": r.totals.iter().map(|m| money_json(Some(m))).collect::<Vec<_>>(),
        }),
    }
}

/// The postings made under one external reference, one line each.
pub fn reference(r: &proto::FindPostingsByReferenceResponse) -> View {
    let mut text: String = r
        .events
        .iter()
        .map(|e| format!("{}\n", event_line(e)))
        .collect();
    if r.events.is_empty() {
        text.push_str("no postings with this reference\n");
    }
    text.push_str(&answered_at(r.answered_at_sequence));
    View {
        text,
        json: json!({
            "answered_at_sequence": r.answered_at_sequence,
            "events": r.events.iter().map(event_json).collect::<Vec<_>>(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_without_its_item_says_so_in_text_and_json() {
        let view = sme(&proto::SmeBalancesResponse {
            answered_at_sequence: 7,
            sme: None,
        });
        assert!(
            view.text.starts_with("no SME in the answer"),
            "{}",
            view.text
        );
        assert_eq!(view.json["answered_at_sequence"], 7);
        assert!(view.json["sme"].is_null());
        let view = match_status(&proto::MatchStatusResponse {
            answered_at_sequence: 3,
            contribution: None,
        });
        assert!(view.text.starts_with("no contribution in the answer"));
        assert!(view.json.get("contribution").is_some_and(Value::is_null));
    }
}
