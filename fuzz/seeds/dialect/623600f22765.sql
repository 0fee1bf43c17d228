SELECT * FROM sluice.roles r JOIN sluice.nowhere n ON r.name = n.name
