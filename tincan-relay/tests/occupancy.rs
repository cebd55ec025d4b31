//! The relay's live room counts (what the LAN announcement carries) follow joins and leaves.

use std::time::Duration;

use futures_util::StreamExt;
use tincan_relay::{Config, Relay};
use tokio_tungstenite::connect_async;

const WAIT: Duration = Duration::from_secs(5);

async fn count_becomes(occupancy: &tincan_relay::Occupancy, room: &str, people: usize) {
    let reached = tokio::time::timeout(WAIT, async {
        while occupancy.people(room) != people {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        reached.is_ok(),
        "{room} holds {} people, expected {people}",
        occupancy.people(room)
    );
}

#[tokio::test]
async fn counts_follow_joins_and_leaves_per_room() {
    let relay = Relay::bind("127.0.0.1:0".parse().unwrap(), Config::default())
        .await
        .unwrap();
    let addr = relay.local_addr();
    let occupancy = relay.occupancy();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(relay.serve(async {
        let _ = stopped.await;
    }));
    assert_eq!(occupancy.people("lobby"), 0);

    let join = |path: &'static str| async move {
        let (mut ws, _) = connect_async(format!("ws://{addr}{path}")).await.unwrap();
        let welcome = ws.next().await.unwrap().unwrap();
        assert!(welcome.to_string().contains("welcome"), "{welcome}");
        ws
    };
    let ann = join("/ws?name=Ann").await;
    let bob = join("/ws?name=Bob").await;
    let kim = join("/ws/kitchen?name=Kim").await;
    count_becomes(&occupancy, "lobby", 2).await;
    count_becomes(&occupancy, "kitchen", 1).await;
    assert_eq!(occupancy.people("nowhere"), 0);

    // Dropped without a closing handshake, as a crashed client would.
    drop(bob);
    count_becomes(&occupancy, "lobby", 1).await;
    drop(ann);
    drop(kim);
    count_becomes(&occupancy, "lobby", 0).await;
    count_becomes(&occupancy, "kitchen", 0).await;

    let _ = stop.send(());
    serving.await.unwrap().unwrap();
}
