//! Sets up what the load posts against, through the API: one open phase with the 2022
//! support types, a sponsor, a government fund manager and one small SME per client.

use std::sync::Arc;

use anyhow::Context;
use rand::Rng;
use tonic::transport::Channel;

use super::workload::{new_id, options, Parties};
use crate::api::convert::support_type_to_proto;
use crate::api::proto::batch_command::Command as ProtoCommand;
use crate::api::proto::posting_service_client::PostingServiceClient;
use crate::api::proto::{self, BatchCommand, PostBatchRequest};
use crate::domain::{Brn, SupportType};
use crate::limits::BATCH_COMMANDS_MAX;

/// What the clients share and the SME each one posts for.
pub struct Setup {
    pub parties: Arc<Parties>,
    pub smes: Vec<String>,
}

/// Creates the phase, parties and `clients` SMEs in a few atomic batches.
pub async fn set_up(channel: Channel, clients: usize) -> anyhow::Result<Setup> {
    let mut posting = PostingServiceClient::new(channel);
    let parties = Parties {
        phase: new_id(),
        contributor: new_id(),
        agency: new_id(),
    };
    let mut commands = vec![
        ProtoCommand::OpenPhase(proto::OpenPhase {
            phase_id: parties.phase.clone(),
            name: "Load test phase".into(),
            currency: "KRW".into(),
            starts_on: "2024-01-01".into(),
            ends_on: "2028-12-31".into(),
            match_ratio: "1".into(),
            support_types: SupportType::smart_factory_2022()
                .iter()
                .map(support_type_to_proto)
                .collect(),
        }),
        ProtoCommand::RegisterContributor(proto::RegisterContributor {
            contributor_id: parties.contributor.clone(),
            name: "Load test sponsor".into(),
        }),
        ProtoCommand::RegisterAgency(proto::RegisterAgency {
            agency_id: parties.agency.clone(),
            name: "Load test fund manager".into(),
        }),
    ];
    let smes: Vec<String> = (0..clients).map(|_| new_id()).collect();
    // Random registration numbers, so that runs against the same server do not collide.
    let mut rng = rand::thread_rng();
    for (index, sme) in smes.iter().enumerate() {
        let brn = Brn::from_prefix(rng.gen_range(100_000_000..1_000_000_000));
        commands.push(ProtoCommand::RegisterSme(proto::RegisterSme {
            sme_id: sme.clone(),
            business_registration_number: brn.to_string(),
            name: format!("Load test SME {index}"),
            supplier: index % 2 == 0,
            channel: proto::ApplicationChannel::SponsorPortal as i32,
            size: proto::SizeClass::Small as i32,
        }));
    }
    for chunk in commands.chunks(BATCH_COMMANDS_MAX) {
        let request = PostBatchRequest {
            options: options(),
            commands: chunk
                .iter()
                .map(|command| BatchCommand {
                    command: Some(command.clone()),
                })
                .collect(),
        };
        posting
            .post_batch(request)
            .await
            .context("setting up the phase, parties and SMEs")?;
    }
    Ok(Setup {
        parties: Arc::new(parties),
        smes,
    })
}
