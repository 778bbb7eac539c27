//! The API's descriptors: every service, method and message of `matchledger.v1`, read
//! from the descriptor set the build compiles from `proto/` (the one reflection serves),
//! plus the `google.rpc` error details, so that errors can be shown as JSON too.

use prost_reflect::{DescriptorError, DescriptorPool, MessageDescriptor, MethodDescriptor};

use crate::api::proto::FILE_DESCRIPTOR_SET;

/// The package whose services the HTTP listener exposes.
pub const API_PACKAGE: &str = "matchledger.v1";

/// The descriptors the JSON API and the OpenAPI document are derived from.
#[derive(Debug, Clone)]
pub struct Descriptors {
    pool: DescriptorPool,
}

impl Descriptors {
    /// Decodes the compiled descriptor sets. They are built into the binary, so a failure
    /// is a build defect, reported rather than panicked on.
    pub fn load() -> Result<Descriptors, DescriptorError> {
        let mut pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET)?;
        pool.decode_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)?;
        Ok(Descriptors { pool })
    }

    /// Every method of every service of [`API_PACKAGE`], in proto order.
    pub fn methods(&self) -> Vec<MethodDescriptor> {
        self.pool
            .services()
            .filter(|service| service.package_name() == API_PACKAGE)
            .flat_map(|service| service.methods().collect::<Vec<_>>())
            .collect()
    }

    /// The full names of the services of [`API_PACKAGE`].
    pub fn service_names(&self) -> Vec<String> {
        self.pool
            .services()
            .filter(|service| service.package_name() == API_PACKAGE)
            .map(|service| service.full_name().to_string())
            .collect()
    }

    /// A message type by full name (`google.rpc.BadRequest`), for error details.
    pub fn message(&self, full_name: &str) -> Option<MessageDescriptor> {
        self.pool.get_message_by_name(full_name)
    }
}

/// The HTTP path of a method, as gRPC and Connect both spell it: `/package.Service/Method`.
pub fn method_path(method: &MethodDescriptor) -> String {
    format!("/{}/{}", method.parent_service().full_name(), method.name())
}

/// The leading comment of a descriptor at `path` in its file, trimmed, if the file kept
/// its source information.
pub fn comment(file: &prost_types::FileDescriptorProto, path: &[i32]) -> Option<String> {
    let locations = &file.source_code_info.as_ref()?.location;
    let location = locations.iter().find(|location| location.path == path)?;
    let text = location.leading_comments.as_deref()?.trim();
    (!text.is_empty()).then(|| text.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_descriptors_hold_every_service_and_the_error_details() {
        let descriptors = Descriptors::load().expect("descriptors decode");
        let names = descriptors.service_names();
        for service in ["PostingService", "QueryService", "AuditService"] {
            assert!(
                names.contains(&format!("{API_PACKAGE}.{service}")),
                "{names:?}"
            );
        }
        let paths: Vec<String> = descriptors.methods().iter().map(method_path).collect();
        assert!(paths.contains(&"/matchledger.v1.PostingService/RecordContribution".into()));
        assert!(descriptors.message("google.rpc.BadRequest").is_some());
    }
}
