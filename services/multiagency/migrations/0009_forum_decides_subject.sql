-- 5.6.17, 5.6.26: the forum that recommends disclosure decides whether the subject is told,
-- and considers the risks the disclosure brings to the subject; both kept with its record.
ALTER TABLE forums ADD COLUMN inform_subject boolean;
ALTER TABLE forums ADD COLUMN community_risk_assessment text;
