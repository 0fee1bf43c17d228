//! The functions that decompile, describe and name catalog objects, answering for Sluice's
//! own tables from [`Objects`] (NULL for any other oid, as PostgreSQL answers for an oid
//! that names nothing):
//!
//! - `pg_get_indexdef(index oid [, column int [, pretty bool]])`
//! - `pg_get_constraintdef(constraint oid [, pretty bool])`
//! - `obj_description(oid [, catalog name])`, `col_description(table oid, column int)`
//! - `to_regclass(text)`: the oid of the relation a name names, NULL if none
//! - `regclassout(oid)`: a relation's name as a `regclass` value prints (its oid where no
//!   relation has it, as in PostgreSQL)

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int32Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int32Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};

use super::objects::Objects;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Which {
    IndexDef,
    ConstraintDef,
    ObjDescription,
    ColDescription,
    RegclassOut,
    ToRegclass,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::IndexDef => "pg_get_indexdef",
            Which::ConstraintDef => "pg_get_constraintdef",
            Which::ObjDescription => "obj_description",
            Which::ColDescription => "col_description",
            Which::RegclassOut => "regclassout",
            Which::ToRegclass => "to_regclass",
        }
    }

    /// The argument counts PostgreSQL accepts.
    fn arities(self) -> &'static [usize] {
        match self {
            Which::IndexDef => &[1, 3],
            Which::ConstraintDef | Which::ObjDescription => &[1, 2],
            Which::ColDescription => &[2],
            Which::RegclassOut | Which::ToRegclass => &[1],
        }
    }
}

/// The functions over `objects`.
pub fn all(objects: Arc<Objects>) -> Vec<ScalarUDF> {
    [
        Which::IndexDef,
        Which::ConstraintDef,
        Which::ObjDescription,
        Which::ColDescription,
        Which::RegclassOut,
        Which::ToRegclass,
    ]
    .into_iter()
    .map(|which| {
        let signature = Signature::one_of(
            which.arities().iter().map(|n| TypeSignature::Any(*n)).collect(),
            Volatility::Stable,
        );
        ScalarUDF::new_from_impl(Describe { which, signature, objects: objects.clone() })
    })
    .collect()
}

#[derive(Debug)]
struct Describe {
    which: Which,
    signature: Signature,
    objects: Arc<Objects>,
}

impl PartialEq for Describe {
    fn eq(&self, other: &Self) -> bool {
        self.which == other.which && Arc::ptr_eq(&self.objects, &other.objects)
    }
}

impl Eq for Describe {}

impl std::hash::Hash for Describe {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.which.hash(state);
    }
}

fn ints(array: &ArrayRef) -> Result<ArrayRef> {
    Ok(cast(array, &DataType::Int32)?)
}

impl ScalarUDFImpl for Describe {
    fn name(&self) -> &str {
        self.which.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(if self.which == Which::ToRegclass { DataType::Int32 } else { DataType::Utf8 })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if self.which == Which::ToRegclass {
            let names = cast(
                arrays.first().ok_or_else(|| DataFusionError::Plan("to_regclass needs a name".into()))?,
                &DataType::Utf8,
            )?;
            let names = names.as_string::<i32>();
            let oids: Int32Array =
                names.iter().map(|n| n.and_then(|n| self.objects.relation_oid(n))).collect();
            return Ok(ColumnarValue::Array(Arc::new(oids)));
        }
        let oids = ints(
            arrays.first().ok_or_else(|| DataFusionError::Plan(format!("{} needs an oid", self.name())))?,
        )?;
        let oids = oids.as_primitive::<Int32Type>();
        let second = match (self.which, arrays.get(1)) {
            (Which::IndexDef | Which::ColDescription, Some(a)) => Some(ints(a)?),
            _ => None,
        };
        let second = second.as_ref().map(|a| a.as_primitive::<Int32Type>());
        let catalog = match (self.which, arrays.get(1)) {
            (Which::ObjDescription, Some(a)) => Some(cast(a, &DataType::Utf8)?),
            _ => None,
        };
        let catalog = catalog.as_ref().map(|a| a.as_string::<i32>());
        let answer = (0..rows).map(|i| {
            if oids.is_null(i) || second.is_some_and(|s| s.is_null(i)) {
                return None;
            }
            let oid = oids.value(i);
            let n = second.map_or(0, |s| s.value(i));
            match self.which {
                Which::IndexDef => self.objects.index_definition(oid, n),
                Which::ConstraintDef => self.objects.constraint_definition(oid),
                // comments on relations only: Sluice's other objects carry none
                Which::ObjDescription => match catalog {
                    Some(c) if c.is_null(i) || c.value(i) != "pg_class" => None,
                    _ => self.objects.comment(oid, 0),
                },
                Which::ColDescription => self.objects.comment(oid, n).filter(|_| n > 0),
                Which::RegclassOut => Some(self.objects.relation_name(oid)),
                // answered above, by name
                Which::ToRegclass => None,
            }
        });
        Ok(ColumnarValue::Array(Arc::new(answer.collect::<StringArray>())))
    }
}
