// Package policy parses AWS IAM policy documents (identity policies and S3
// bucket policies) and decides requests against them the way AWS does.
//
// # Evaluation order
//
// Evaluator.Evaluate answers one question: may this principal perform this
// action on this resource, given these condition-key values?
//
//  1. Every request starts implicitly denied.
//  2. Every applicable statement is collected: the statements of each
//     identity policy of the principal (none for anonymous requests), and
//     the statements of the bucket policy whose Principal (or NotPrincipal)
//     selects the principal. A statement applies when its Action (or
//     NotAction), Resource (or NotResource) and every Condition match.
//  3. If any applicable statement is a Deny, the answer is Deny, whatever
//     else allows it. There is no early return on an Allow: a bucket-policy
//     Allow never skips the identity policies' Denies, nor the reverse.
//  4. Otherwise any applicable Allow allows, except across accounts: when
//     Request.ResourceAccount names an account other than the principal's,
//     both an identity policy and the bucket policy must allow.
//  5. Otherwise the request is implicitly denied.
//
// Condition blocks follow AWS's combining rules: operators AND, keys under
// one operator AND, the values of one key OR (NOR for negated operators). A
// missing key makes a condition false, except for negated operators, the
// …IfExists forms and ForAllValues, which are true, and Null, which tests
// presence. Policy variables (${aws:username}) are substituted in Resource
// and in String and Arn condition values of "2012-10-17" policies only, as
// AWS does. A variable with no value (and no ${key, 'default'}) matches
// nothing; where that leaves a statement undecidable (in NotResource or a
// condition) it fails closed: a Deny applies, an Allow does not.
//
// Evaluator only evaluates the policies it is given. Authorizer puts it
// behind iam.Authorizer and adds the root account's rules; the S3 layer
// passes the request's condition keys with WithRequestContext. Cache
// memoises decisions for the hot path. Parsed policies are immutable and
// safe for concurrent use; so are Evaluator, Cache and Authorizer.
package policy
