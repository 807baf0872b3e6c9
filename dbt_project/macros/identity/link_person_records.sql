{#- Link each record of `left` to at most one record of `right` (docs: _identity__docs.md).

    Both relations carry: record_id, link_key, id_token, id_status, id_birth_date (read from
    the ID), name_token, name_pinyin_token, birth_date, region_code (the ID's), charge,
    record_date; `right` also window_start/window_end (the dates a left record of the same
    person-case may have) and, called with keyless=true, `keyless`. Emits CTEs named
    <prefix>_blocked … <prefix>_links; the last has one row per linked left record:
    left_id, right_id, link_method, link_confidence, match_weight.

    Tiers, best first: declared_key (key and ID token agree, confidence 1.0);
    person_token_window (token agrees, key missing or mistyped — within
    link_key_near_distance edits and no target's key exactly — record in the date window);
    probabilistic (tokens differ or are missing: Fellegi–Sunter weight over key, name
    (frequency-weighted), pinyin, birth date, region, charge, window). A name never links
    alone: blocks pair names only with a birth date, and a probabilistic link needs birth
    date agreement (exact or one digit) or the declared key plus the name, and never pairs
    two valid ID numbers that agree on region and birth date (two people); last,
    person_token_window with a key that differs beyond a typo, or to a keyless target
    (another case, unless no record of this one is found). -#}
{#- `one_to_one`: a right record takes one left record (a police person-case goes to one
    prosecution review). Within a tier, a target that another left record links to by
    declared key comes after one that none does: a review whose police case number was lost
    has its person's cases as token candidates, and the one another review names is that
    review's. `kept_claims`: a query of (right_id, left_id) for the declared-key links of
    left records not linked in this run (a daily relink keeps them). -#}
{% macro link_person_records(left, right, prefix='lnk', narrow=false, keyless=false,
                             one_to_one=false, kept_claims=none) -%}
{%- set w = var('link_weights') -%}
{%- set near = var('link_key_near_distance') -%}
{%- set c_window = var('link_token_window_confidence') -%}
{#- `keyless`: `right` has a boolean column `keyless`, true for a record that cannot carry
    the left's key (a police suspect with no prosecution review, or a review that did not
    prosecute, has no 起诉书文号). A left record that has the key came through a record
    that does, so a token link to a keyless one is the last tier, as for another case's
    key. -#}
{#- `narrow`: `left` is a few records (a daily relink). Only the right records sharing a
    block column with one of them can be blocked; without this DuckDB built every target
    for the joins below even when nothing was relinked. It pays where `right` is one
    table's rows, into whose scan the filter goes (the prosecution hop 3.1 → 2.0 s at 1 M). -#}
{{ prefix }}_right as (
    select * from {{ right }}
    {%- if narrow %}
    where link_key in (select link_key from {{ left }})
        or id_token in (select id_token from {{ left }})
        or birth_date in (select birth_date from {{ left }})
    {%- endif %}
),

{{ prefix }}_blocked as (
    select l.record_id as left_id, r.record_id as right_id
    from {{ left }} as l inner join {{ prefix }}_right as r on l.link_key = r.link_key
    union
    select l.record_id, r.record_id
    from {{ left }} as l inner join {{ prefix }}_right as r on l.id_token = r.id_token
    union
    select l.record_id, r.record_id
    from {{ left }} as l inner join {{ prefix }}_right as r
        on l.birth_date = r.birth_date and l.name_token = r.name_token
    union
    select l.record_id, r.record_id
    from {{ left }} as l inner join {{ prefix }}_right as r
        on l.birth_date = r.birth_date and l.name_pinyin_token = r.name_pinyin_token
    union
    select l.record_id, r.record_id
    from {{ left }} as l inner join {{ prefix }}_right as r
        on l.birth_date = r.birth_date and l.region_code = r.region_code
),

{{ prefix }}_compared as (
    select
        b.left_id,
        b.right_id,
        l.link_key = r.link_key as key_agrees,
        {{ 'l.link_key is not null and r.keyless' if keyless else 'false' }} as key_cannot_agree,
        coalesce({{ shared_exchange.edit_distance('l.link_key', 'r.link_key') }}, 99) as key_distance,
        l.id_token = r.id_token as token_agrees,
        l.record_date between r.window_start and r.window_end as in_window,
        coalesce(abs({{ days_between('r.record_date', 'l.record_date') }}), 99999) as days_apart,
        l.name_token = r.name_token as name_agrees,
        l.name_pinyin_token = r.name_pinyin_token as pinyin_agrees,
        l.birth_date = r.birth_date as birth_agrees,
        {{ shared_exchange.edit_distance('cast(l.birth_date as ' ~ dbt.type_string() ~ ')',
                                         'cast(r.birth_date as ' ~ dbt.type_string() ~ ')') }} = 1
            or abs({{ days_between('l.birth_date', 'r.birth_date') }})
                <= {{ var('link_birth_near_days') }} as birth_near,
        l.region_code = r.region_code as region_agrees,
        -- two valid ID numbers with the same region and birth digits differ in the sequence
        -- digits: a clerk's typo there breaks the check character, so they are two people
        -- (a typo in the birth digits that keeps a valid number is the same person's)
        l.id_status = 'valid' and r.id_status = 'valid' and l.id_token <> r.id_token
            and l.id_birth_date = r.id_birth_date and l.region_code = r.region_code
            as two_people,
        l.charge = r.charge as charge_agrees,
        coalesce(nf.name_weight, {{ w.name_max }}) as name_weight,
        coalesce(pf.name_weight, {{ w.name_max }}) as pinyin_weight
    from {{ prefix }}_blocked as b
    inner join {{ left }} as l on l.record_id = b.left_id
    inner join {{ prefix }}_right as r on r.record_id = b.right_id
    left join {{ ref('int_name_frequencies') }} as nf
        on nf.token_kind = 'name' and nf.token = l.name_token
    left join {{ ref('int_name_frequencies') }} as pf
        on pf.token_kind = 'pinyin' and pf.token = l.name_pinyin_token
),

{{ prefix }}_scored as (
    select
        *,
        {{ w.prior }}
        + case when key_agrees then {{ w.key_agree }}
            when key_distance <= {{ near }} then {{ w.key_near }}
            when key_agrees is null then 0 else {{ w.key_disagree }} end
        + case when name_agrees then name_weight
            when pinyin_agrees then pinyin_weight - {{ w.pinyin_penalty }}
            when name_agrees is null then 0 else {{ w.name_disagree }} end
        + case when birth_agrees then {{ w.birth_agree }}
            when birth_near then {{ w.birth_near }}
            when birth_agrees is null then 0 else {{ w.birth_disagree }} end
        + {{ shared_exchange.fs_weight('region_agrees', w.region_agree, w.region_disagree) }}
        + {{ shared_exchange.fs_weight('charge_agrees', w.charge_agree, w.charge_disagree) }}
        + {{ shared_exchange.fs_weight('in_window', w.window_agree, w.window_disagree) }}
            as match_weight
    from {{ prefix }}_compared
),

-- left records whose key is some target's key exactly: a near key is then another record's
-- key (the same person's other case), not a typo of this one
{{ prefix }}_key_found as (
    select distinct left_id from {{ prefix }}_scored where key_agrees
),

{{ prefix }}_token_window as (
    select
        s.*,
        count(*) over (partition by s.left_id) as n_candidates,
        s.key_distance <= {{ near }} and f.left_id is null as key_mistyped
    from {{ prefix }}_scored as s
    left join {{ prefix }}_key_found as f on f.left_id = s.left_id
    where s.token_agrees and s.in_window and not coalesce(s.key_agrees, false)
),

{{ prefix }}_candidates as (
    select left_id, right_id, 1 as tier, 'declared_key' as link_method,
        1.0 as link_confidence, match_weight, key_distance, days_apart
    from {{ prefix }}_scored
    where key_agrees and token_agrees
    union all
    -- a key missing on either side or a typo; a declared key that differs more names
    -- another case, most often the same person's other case (a repeat offender): such a
    -- candidate ranks after the probabilistic tier, where this case's own record is when
    -- its ID was damaged; so does a record that cannot carry the key the left one has
    select left_id, right_id,
        case when (key_agrees is null and not key_cannot_agree) or key_mistyped then 2
            else 4 end,
        'person_token_window',
        -- one candidate or a mistyped key: full confidence; else shared among candidates
        case when n_candidates = 1 or key_mistyped then {{ c_window }}
            else {{ c_window }} / n_candidates end,
        match_weight, key_distance, days_apart
    from {{ prefix }}_token_window
    union all
    select left_id, right_id, 3, 'probabilistic',
        1.0 / (1.0 + power(2.0, -match_weight)), match_weight, key_distance, days_apart
    from {{ prefix }}_scored
    where not coalesce(token_agrees, false)
        and 1.0 / (1.0 + power(2.0, -match_weight)) >= {{ var('link_probabilistic_threshold') }}
        and (birth_agrees or birth_near or (key_agrees and (name_agrees or pinyin_agrees)))
        and not coalesce(two_people, false)
),

{%- if one_to_one %}

{{ prefix }}_claims as (
    select right_id, min(left_id) as first_left, max(left_id) as last_left
    from (
        select right_id, left_id from {{ prefix }}_candidates where tier = 1
        {%- if kept_claims %}
        union all
        {{ kept_claims }}
        {%- endif %}
    ) as claim
    group by right_id
),
{%- endif %}

{{ prefix }}_links as (
    select left_id, right_id, link_method, cast(link_confidence as double) as link_confidence,
        match_weight
    from (
        select
            c.*,
            row_number() over (
                partition by c.left_id
                order by c.tier,
                    {%- if one_to_one %}
                    coalesce(k.first_left <> c.left_id or k.last_left <> c.left_id, false),
                    {%- endif %}
                    c.link_confidence desc, c.key_distance, c.days_apart, c.right_id
            ) as pick
        from {{ prefix }}_candidates as c
        {%- if one_to_one %}
        left join {{ prefix }}_claims as k on k.right_id = c.right_id
        {%- endif %}
    ) as ranked
    where pick = 1
)
{%- endmacro %}

{% macro fs_weight(agreement, agree, disagree) -%}
    case when {{ agreement }} then {{ agree }}
        when {{ agreement }} is null then 0 else {{ disagree }} end
{%- endmacro %}
