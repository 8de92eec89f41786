//! Jsonnet files evaluated in-process with jrsonnet. Imports are confined to the checkout.

use std::any::Any;
use std::path::{Path, PathBuf};

use driftless_core::{JsonnetSource, JsonnetVar, Manifest};
use jrsonnet_evaluator::error::ErrorKind;
use jrsonnet_evaluator::function::TlaArg;
use jrsonnet_evaluator::gc::GcHashMap;
use jrsonnet_evaluator::manifest::JsonFormat;
use jrsonnet_evaluator::parser::{ParserSettings, Source, SourceFile, SourcePath};
use jrsonnet_evaluator::trace::{CompactFormat, PathResolver, TraceFormat};
use jrsonnet_evaluator::{apply_tla, FileImportResolver, IStr, ImportResolver, State};
use jrsonnet_gcmodule::Trace;

use crate::checkout::{Checkout, CheckoutError, MAX_FILE_BYTES};
use crate::documents::{push_objects, ParseError};

/// Stack size of the thread that evaluates Jsonnet: deep but legal recursion must not
/// overflow the caller's (possibly small) stack.
const EVALUATION_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Why a Jsonnet file could not be evaluated. `file` is relative to the checkout.
#[derive(Debug, thiserror::Error)]
pub enum JsonnetError {
    /// A `libs` entry is not a directory inside the checkout.
    #[error("jsonnet lib path {lib}: {source}")]
    LibPath {
        /// The entry as written in the spec.
        lib: String,
        /// Why it was refused.
        #[source]
        source: CheckoutError,
    },
    /// An extVar or TLA given as code does not parse.
    #[error("jsonnet {what} {name}: code does not parse: {message}")]
    VariableCode {
        /// `extVar` or `tla`.
        what: &'static str,
        /// The variable's name.
        name: String,
        /// The parser's message.
        message: String,
    },
    /// Evaluation failed (syntax error, runtime error, failed import, ...).
    #[error("{file}: jsonnet evaluation failed: {message}")]
    Evaluate {
        /// The file.
        file: String,
        /// The evaluator's message with its stack trace, paths relative to the checkout.
        message: String,
    },
    /// The result could not be turned into objects.
    #[error(transparent)]
    Output(#[from] ParseError),
    /// The evaluation thread could not be started or died.
    #[error("{file}: jsonnet evaluation thread failed")]
    Thread {
        /// The file.
        file: String,
    },
}

/// Evaluates one `*.jsonnet` file (already resolved inside the checkout) with the spec's
/// extVars, TLAs and libs. The result may be an object, an array of objects, or a List.
pub fn evaluate_file(
    checkout: &Checkout,
    path: &Path,
    options: &JsonnetSource,
) -> Result<Vec<Manifest>, JsonnetError> {
    let file = checkout.relative(path);
    let libs = resolve_libs(checkout, &options.libs)?;
    let value = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("jsonnet".into())
            .stack_size(EVALUATION_STACK_BYTES)
            .spawn_scoped(scope, || {
                evaluate_to_json(checkout, path, &file, libs, options)
            })
            .map_err(|_| JsonnetError::Thread { file: file.clone() })?
            .join()
            .map_err(|_| JsonnetError::Thread { file: file.clone() })?
    })?;
    let mut manifests = Vec::new();
    push_objects(&file, 0, value, &mut manifests)?;
    Ok(manifests)
}

fn resolve_libs(checkout: &Checkout, libs: &[String]) -> Result<Vec<PathBuf>, JsonnetError> {
    libs.iter()
        .map(|lib| {
            checkout
                .resolve(lib)
                .map_err(|source| JsonnetError::LibPath {
                    lib: lib.clone(),
                    source,
                })
        })
        .collect()
}

fn evaluate_to_json(
    checkout: &Checkout,
    path: &Path,
    file: &str,
    libs: Vec<PathBuf>,
    options: &JsonnetSource,
) -> Result<serde_json::Value, JsonnetError> {
    let root = checkout.root().to_path_buf();
    let evaluate_error = |err: jrsonnet_evaluator::Error| JsonnetError::Evaluate {
        file: file.to_owned(),
        message: format_error(&root, &err),
    };
    let context = jrsonnet_stdlib::ContextInitializer::new(PathResolver::Relative(root.clone()));
    for var in &options.ext_vars {
        add_ext_var(&context, var)?;
    }
    let mut builder = State::builder();
    builder
        .context_initializer(context)
        .import_resolver(ConfinedImportResolver {
            root: root.clone(),
            inner: FileImportResolver::new(libs),
        });
    let state = builder.build();
    let value = state.import(path).map_err(evaluate_error)?;
    let tlas = top_level_args(&options.tlas)?;
    let value = apply_tla(state, &tlas, value).map_err(evaluate_error)?;
    // Manifesting forces every lazy field, so evaluation errors surface here with their
    // trace (serde serialisation would flatten them into a message without one).
    let json = value
        .manifest(JsonFormat::minify())
        .map_err(evaluate_error)?;
    serde_json::from_str(&json).map_err(|err| JsonnetError::Evaluate {
        file: file.to_owned(),
        message: format!("output is not JSON: {err}"),
    })
}

fn add_ext_var(
    context: &jrsonnet_stdlib::ContextInitializer,
    var: &JsonnetVar,
) -> Result<(), JsonnetError> {
    if var.code {
        context
            .add_ext_code(&var.name, var.value.as_str())
            .map_err(|err| JsonnetError::VariableCode {
                what: "extVar",
                name: var.name.clone(),
                message: err.to_string(),
            })
    } else {
        context.add_ext_str(var.name.as_str().into(), var.value.as_str().into());
        Ok(())
    }
}

fn top_level_args(tlas: &[JsonnetVar]) -> Result<GcHashMap<IStr, TlaArg>, JsonnetError> {
    let mut args = GcHashMap::new();
    for var in tlas {
        let arg = if var.code {
            TlaArg::Code(parse_code("tla", var)?)
        } else {
            TlaArg::String(var.value.as_str().into())
        };
        args.insert(var.name.as_str().into(), arg);
    }
    Ok(args)
}

fn parse_code(
    what: &'static str,
    var: &JsonnetVar,
) -> Result<jrsonnet_evaluator::parser::LocExpr, JsonnetError> {
    let source = Source::new_virtual(
        format!("<{what}:{}>", var.name).into(),
        var.value.as_str().into(),
    );
    jrsonnet_evaluator::parser::parse(&var.value, &ParserSettings { source }).map_err(|err| {
        JsonnetError::VariableCode {
            what,
            name: var.name.clone(),
            message: err.to_string(),
        }
    })
}

fn format_error(root: &Path, err: &jrsonnet_evaluator::Error) -> String {
    let format = CompactFormat {
        resolver: PathResolver::Relative(root.to_path_buf()),
        max_trace: 20,
        padding: 4,
    };
    format
        .format(err)
        .unwrap_or_else(|_| err.to_string())
        .trim_end()
        .to_owned()
}

/// Resolves imports like jrsonnet's file resolver (relative to the importing file, then
/// the lib paths) but refuses anything outside the checkout, special files, and files
/// over the size limit.
struct ConfinedImportResolver {
    root: PathBuf,
    inner: FileImportResolver,
}

impl Trace for ConfinedImportResolver {
    fn is_type_tracked() -> bool {
        false
    }
}

impl ConfinedImportResolver {
    fn confine(&self, resolved: SourcePath, shown: &str) -> jrsonnet_evaluator::Result<SourcePath> {
        let inside = resolved
            .downcast_ref::<SourceFile>()
            .is_some_and(|f| f.path().starts_with(&self.root));
        if inside {
            Ok(resolved)
        } else {
            Err(ErrorKind::ImportIo(format!(
                "import {shown} is outside the repository checkout or not a regular file"
            ))
            .into())
        }
    }
}

impl ImportResolver for ConfinedImportResolver {
    fn resolve_from(
        &self,
        from: &SourcePath,
        path: &str,
    ) -> jrsonnet_evaluator::Result<SourcePath> {
        let resolved = self.inner.resolve_from(from, path)?;
        self.confine(resolved, path)
    }

    fn resolve(&self, path: &Path) -> jrsonnet_evaluator::Result<SourcePath> {
        let resolved = self.inner.resolve(path)?;
        let shown = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.confine(resolved, &shown)
    }

    fn load_file_contents(&self, resolved: &SourcePath) -> jrsonnet_evaluator::Result<Vec<u8>> {
        let too_large = resolved
            .downcast_ref::<SourceFile>()
            .and_then(|f| std::fs::metadata(f.path()).ok())
            .is_some_and(|m| m.len() > MAX_FILE_BYTES);
        if too_large {
            return Err(ErrorKind::ImportIo(format!(
                "imported file is over the limit of {MAX_FILE_BYTES} bytes"
            ))
            .into());
        }
        self.inner.load_file_contents(resolved)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
