-- The data is complete before the day of the latest export: no cutoff after it (mid-month, the
-- month's own cutoff waits for its last day), and a label is complete exactly when its 90 days
-- end by then.
with

data_end as (

    select cast(max(extracted_at) as date) as data_through
    from {{ ref('fct_transactions') }}

)

select features.*
from {{ ref('ml_member_features') }} as features
cross join data_end
where
    features.cutoff_date > data_end.data_through
    or features.is_label_complete != (
        cast({{ dbt.dateadd('day', 90, 'features.cutoff_date') }} as date) <= data_end.data_through
    )
