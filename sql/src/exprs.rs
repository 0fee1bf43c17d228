//! Small helpers over sqlparser's expression AST, shared by the rewrites that run before
//! DataFusion plans a statement (engine/) and before a pipeline body is bound (plan/).

use datafusion_sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, ObjectName,
};

/// `name(args…)` as the parser would have it.
pub fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e))).collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// The arguments of a call that has only plain positional ones (`f(a, b)`); `None` for
/// `f(*)`, named arguments, `f(DISTINCT …)` clauses' lists and calls without a list.
pub fn plain_args(function: &Function) -> Option<Vec<Expr>> {
    let FunctionArguments::List(list) = &function.args else { return None };
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// The lower-cased last part of a function's name, and the part before it if the name
/// is qualified (`information_schema._pg_expandarray` ⇒ `("_pg_expandarray",
/// Some("information_schema"))`).
pub fn function_name(name: &ObjectName) -> Option<(String, Option<String>)> {
    let parts: Vec<&Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
    let last = parts.last()?.value.to_ascii_lowercase();
    let schema = (parts.len() > 1).then(|| parts[parts.len() - 2].value.to_ascii_lowercase());
    Some((last, schema))
}
