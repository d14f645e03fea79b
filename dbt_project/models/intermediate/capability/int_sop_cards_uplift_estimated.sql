-- Each card's win-rate uplift from its strata (int_sop_uplift_strata), per rep group.
--   uplift = Σ n_used × (win rate used − win rate comparable) ÷ Σ n_used over the strata
--     that have comparables: the used opportunities' own mix of industry, stage and
--     regime, each compared with its own comparables (direct standardisation).
--   se: from the stratum variances, each win rate smoothed as (won + 1) ÷ (n + 2) so a
--     stratum of 3 wins out of 3 still carries uncertainty.
--   shrunk uplift = uplift × prior_sd² ÷ (prior_sd² + se²) (normal prior centred on no
--     effect, seed sop_rules.uplift_prior_sd): a card seen on a handful of deals is pulled
--     towards 0, so the ranking is stable from one week to the next.
with

strata as (

    select * from {{ ref('int_sop_uplift_strata') }}

),

rules as (

    select * from {{ ref('sop_rules') }}

),

stratum_rates as (

    select
        card_id,
        rep_group,
        used_count,
        used_won_count,
        comparable_count,
        comparable_won_count,
        cast(used_won_count as {{ type_double() }}) / used_count as used_win_rate,
        case
            when comparable_count > 0 then cast(comparable_won_count as {{ type_double() }}) / comparable_count
        end as comparable_win_rate,
        (used_won_count + 1) / (used_count + 2) as used_rate_smoothed,
        case
            when comparable_count > 0
                then (comparable_won_count + 1) / (comparable_count + 2)
        end as comparable_rate_smoothed
    from strata

),

per_card as (

    select
        card_id,
        rep_group,
        sum(used_count) as used_count,
        sum(case when comparable_count > 0 then used_count else 0 end) as matched_used_count,
        sum(case when comparable_count > 0 then used_won_count else 0 end) as matched_used_won_count,
        sum(case when comparable_count > 0 then comparable_count else 0 end) as comparable_count,
        sum(case when comparable_count > 0 then 1 else 0 end) as matched_strata_count,
        sum(case when comparable_count > 0 then used_count * comparable_win_rate end)
            as weighted_comparable_wins,
        sum(
            case
                when comparable_count > 0
                    then used_count * (used_win_rate - comparable_win_rate)
            end
        ) as weighted_difference,
        sum(
            case
                when comparable_count > 0
                    then used_count * used_count * (
                        used_rate_smoothed * (1 - used_rate_smoothed) / used_count
                        + comparable_rate_smoothed * (1 - comparable_rate_smoothed) / comparable_count
                    )
            end
        ) as weighted_variance
    from stratum_rates
    group by card_id, rep_group

),

estimated as (

    select
        per_card.card_id,
        per_card.rep_group,
        per_card.used_count,
        per_card.matched_used_count,
        per_card.comparable_count,
        per_card.matched_strata_count,
        case
            when per_card.matched_used_count > 0
                then cast(per_card.matched_used_won_count as {{ type_double() }}) / per_card.matched_used_count
        end as used_win_rate,
        case
            when per_card.matched_used_count > 0
                then per_card.weighted_comparable_wins / per_card.matched_used_count
        end as comparable_win_rate,
        case
            when per_card.matched_used_count > 0
                then per_card.weighted_difference / per_card.matched_used_count
        end as uplift,
        case
            when per_card.matched_used_count > 0
                then sqrt(per_card.weighted_variance) / per_card.matched_used_count
        end as uplift_se,
        rules.uplift_prior_sd
    from per_card
    cross join rules

)

-- rounded to 1e-9 (far below a displayed 0.1 pp) so figures are reproducible across engines
select
    card_id,
    rep_group,
    used_count,
    matched_used_count,
    comparable_count,
    matched_strata_count,
    round(used_win_rate, 9) as used_win_rate,
    round(comparable_win_rate, 9) as comparable_win_rate,
    round(uplift, 9) as uplift,
    round(uplift_se, 9) as uplift_se,
    round(uplift - 1.96 * uplift_se, 9) as uplift_ci_low,
    round(uplift + 1.96 * uplift_se, 9) as uplift_ci_high,
    round(
        uplift * uplift_prior_sd * uplift_prior_sd
        / (uplift_prior_sd * uplift_prior_sd + uplift_se * uplift_se),
        9
    ) as shrunk_uplift
from estimated
